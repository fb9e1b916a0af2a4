package dev.mtl.cli;

import static dev.mtl.cli.EndToEndTest.firstLines;
import static dev.mtl.cli.EndToEndTest.lastLogEvent;
import static dev.mtl.cli.EndToEndTest.run;
import static dev.mtl.cli.EndToEndTest.shared;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.cli.EndToEndTest.Result;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.task.TaskPrediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Thresholds chosen on dev: by training ({@code threshold: tune}) and by {@code mtl calibrate} on a trained model. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CalibrationCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private Path config;
  private Result training;

  private String task(String group, String extra) throws Exception {
    String data = "goemotions/" + group;
    return "  - name: " + group + "\n    type: text-classification\n    format: tsv\n    multi-label: true\n    label-encoding: index\n"
        + "    labels: " + shared(data + "/labels.txt") + "\n"
        + "    train: " + firstLines(data + "/train.tsv", 800, dir.resolve("data").resolve(data + "/train.tsv")) + "\n"
        + "    dev: " + firstLines(data + "/dev.tsv", 300, dir.resolve("data").resolve(data + "/dev.tsv")) + "\n"
        + "    test: " + firstLines(data + "/test.tsv", 300, dir.resolve("data").resolve(data + "/test.tsv")) + "\n" + extra;
  }

  @BeforeAll
  void train() throws Exception {
    config = Files.writeString(dir.resolve("run.yaml"), "name: calibration\nseed: 5\noutput: run\ntasks:\n"
        + task("ekman", "") + task("original", "    threshold: tune\n") + """
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 32, encoder: cnn, hidden-size: 16}
        training: {epochs: 3, batch-size: 16, learning-rate: 0.005}
        """);
    training = run("train", config.toString());
  }

  private JsonNode manifestTask(Path model, String name) throws Exception {
    for (JsonNode task : JSON.readTree(model.resolve("mtl-model.json").toFile()).get("tasks")) {
      if (task.get("name").asText().equals(name)) {
        return task.get("settings");
      }
    }
    throw new AssertionError("no task " + name);
  }

  @Test
  @DisplayName("threshold: tune picks 28 thresholds on dev after training, raises dev macro-F1, measures every epoch so, and the saved model predicts with them")
  void tunedInTraining() throws Exception {
    assertThat(training.code()).as(training.err()).isZero();
    Path model = dir.resolve("run/model");
    JsonNode event = lastLogEvent(dir.resolve("run"), "calibration");
    assertThat(event.get("task").asText()).isEqualTo("original");
    assertThat(event.get("dev_after").asDouble()).isGreaterThan(event.get("dev_before").asDouble());
    JsonNode metrics = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    assertThat(metrics.get("dev").get("original").get("values").get("macro_f1").asDouble()).isEqualTo(event.get("dev_after").asDouble());
    // Each epoch was measured on dev as it would be served, calibrated: the last epoch's (the kept model) is the calibration's.
    JsonNode lastEpoch = lastLogEvent(dir.resolve("run"), "evaluation").get("metrics");
    assertThat(lastEpoch.get("original").get("values").get("macro_f1").asDouble()).isEqualTo(event.get("dev_after").asDouble());
    assertThat(lastEpoch.get("ekman").get("values").get("macro_f1").asDouble()) // not asked: at 0.5, as served
        .isEqualTo(metrics.get("dev").get("ekman").get("values").get("macro_f1").asDouble());

    JsonNode thresholds = manifestTask(model, "original").get("threshold");
    assertThat(thresholds.size()).isEqualTo(28);
    assertThat(event.get("chosen").get("threshold")).isEqualTo(thresholds);
    List<Double> distinct = new ArrayList<>();
    thresholds.elements().forEachRemaining(t -> distinct.add(t.asDouble()));
    assertThat(distinct.stream().distinct().count()).isGreaterThan(1);
    assertThat(manifestTask(model, "ekman").get("threshold").asDouble()).isEqualTo(0.5); // not asked: untouched

    try (MultiTaskModel loaded = MultiTaskModel.load(model)) {
      // Served with the chosen thresholds: the test metrics of the run, and each label exactly when its score reaches its own.
      TaskData test = loaded.task("original").read(dir.resolve("data/goemotions/original/test.tsv"));
      TaskMetrics reloaded = loaded.evaluate(Map.of("original", test)).get("original");
      assertThat(reloaded.primaryValue()).isEqualTo(metrics.get("test").get("original").get("values").get("macro_f1").asDouble());
      for (TaskPrediction p : loaded.predict(test.texts().subList(0, 50)).stream().map(row -> row.get("original")).toList()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = thresholds.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> label = it.next();
          boolean chosen = p.scores().get(label.getKey()) >= label.getValue().asDouble();
          assertThat(p.labels().contains(label.getKey())).as(label.getKey()).isEqualTo(chosen);
        }
      }
    }
  }

  @Test
  @DisplayName("mtl calibrate tunes a trained model's tasks on dev, saves the thresholds, and eval then uses them")
  void calibrateCommand() throws Exception {
    assertThat(training.code()).as(training.err()).isZero();
    Path copy = dir.resolve("copy/model");
    Files.createDirectories(copy.getParent());
    try (var files = Files.walk(dir.resolve("run/model"))) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Files.copy(source, copy.resolve(dir.resolve("run/model").relativize(source).toString()));
      }
    }
    Result before = run("eval", copy.toString(), config.toString(), "--split", "dev");

    Result calibrated = run("calibrate", copy.toString(), config.toString());

    assertThat(calibrated.code()).as(calibrated.err()).isZero();
    String ekmanRow = calibrated.out().lines().filter(l -> l.startsWith("ekman ")).findFirst().orElseThrow();
    String[] cells = ekmanRow.trim().split("\\s+");
    assertThat(Double.parseDouble(cells[3])).isGreaterThan(Double.parseDouble(cells[2])); // after > before
    assertThat(ekmanRow).contains("threshold 7 labels");
    assertThat(before.out()).contains(cells[2]); // "before" is what eval said before
    assertThat(manifestTask(copy, "ekman").get("threshold").size()).isEqualTo(7);
    Result after = run("eval", copy.toString(), config.toString(), "--split", "dev");
    assertThat(after.out()).contains(cells[3]);
  }

  @Test
  @DisplayName("threshold: tune on a task without dev data is refused before training, naming the task and the fix")
  void tuneNeedsDev() throws Exception {
    Path noDev = Files.writeString(dir.resolve("no-dev.yaml"), "name: no-dev\noutput: no-dev-run\ntasks:\n"
        + task("ekman", "    threshold: tune\n").replaceAll("    dev: .*\n", "") + """
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 8, encoder: mean}
        training: {epochs: 1}
        """);
    Result r = run("train", noDev.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("[ekman] ask to be calibrated on dev after training (threshold: tune) but have no dev data",
        "tasks[].holdout");
  }
}
