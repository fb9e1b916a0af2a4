package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `select-by` keeps the best epoch's model by dev score; `patience` stops early. */
class ModelSelectionCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  @DisplayName("keeps the epoch with the best dev score, stops after `patience` epochs without one, and tests the kept model")
  void keepsBestEpoch() throws Exception {
    Path train = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, dir.resolve("train.txt"));
    Path dev = EndToEndTest.firstLines("sentence-classic/stsa.binary.dev", 150, dir.resolve("dev.txt"));
    Path test = EndToEndTest.firstLines("sentence-classic/stsa.binary.test", 150, dir.resolve("test.txt"));
    // A high learning rate overfits 400 sentences quickly, so dev accuracy peaks and falls.
    Path config = Files.writeString(dir.resolve("run.yaml"), "output: run\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + train + ", dev: " + dev + ", test: " + test + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.1}\n"
        + "training: {epochs: 12, batch-size: 16, learning-rate: 0.02, select-by: sst2, patience: 2}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    JsonNode epochs = report.get("epochs");
    int best = 0;
    for (int e = 0; e < epochs.size(); e++) {
      if (accuracy(epochs.get(e)) > accuracy(epochs.get(best))) {
        best = e;
      }
    }
    assertThat(report.get("selectedEpoch").asInt()).isEqualTo(best);
    assertThat(report.get("dev").get("sst2").get("values").get("accuracy").asDouble()).isEqualTo(accuracy(epochs.get(best)));
    // Dev accuracy peaks early at this rate (seed 3: epoch 2 of 12), so patience 2 stops two epochs later.
    assertThat(epochs.size()).isLessThan(12).isEqualTo(best + 3);
    assertThat(Files.readAllLines(dir.resolve("run/training-log.jsonl"))).anySatisfy(l -> assertThat(l).contains("\"event\":\"early-stop\""));
    // The saved model is the kept one: evaluating it again gives the reported test accuracy.
    EndToEndTest.Result eval = EndToEndTest.run("eval", dir.resolve("run/model").toString(), test.toString(), "--task", "sst2");
    assertThat(eval.code()).as(eval.err()).isZero();
    double testAccuracy = report.get("test").get("sst2").get("values").get("accuracy").asDouble();
    assertThat(eval.out()).contains(String.format(Locale.ROOT, "%.4f", testAccuracy));
  }

  private static double accuracy(JsonNode epoch) {
    return epoch.get("dev").get("sst2").get("values").get("accuracy").asDouble();
  }

  @Test
  @DisplayName("rejects an unknown criterion and patience without one, naming the choices")
  void rejectsBadSettings() throws Exception {
    Path train = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 20, dir.resolve("t.txt"));
    Path config = Files.writeString(dir.resolve("bad.yaml"), "tasks:\n  - {name: sst2, type: text-classification, train: " + train + "}\n"
        + "training: {select-by: accuracy, patience: 2}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("`training.select-by` was 'accuracy' but it must be last, mean, delta-m or a task of this run [sst2]");
    Path lastOnly = Files.writeString(dir.resolve("last.yaml"), Files.readString(config).replace("select-by: accuracy, ", ""));
    assertThat(EndToEndTest.run("train", lastOnly.toString()).err()).contains("`training.patience` was '2' but it needs a criterion");
  }

  @Test
  @DisplayName("with eval-every, dev is also evaluated every N steps and the best of all evaluations is kept")
  void evaluatesEveryNSteps() throws Exception {
    Path train = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, dir.resolve("train.txt"));
    Path dev = EndToEndTest.firstLines("sentence-classic/stsa.binary.dev", 150, dir.resolve("dev.txt"));
    Path config = Files.writeString(dir.resolve("steps.yaml"), "output: steps\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + train + ", dev: " + dev + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.1}\n"
        + "training: {epochs: 3, batch-size: 16, learning-rate: 0.02, select-by: sst2, eval-every: 10}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    double best = Double.NEGATIVE_INFINITY;
    List<Long> evaluatedSteps = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("steps/training-log.jsonl"))) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("evaluation")) {
        best = Math.max(best, event.get("metrics").get("sst2").get("values").get("accuracy").asDouble());
        if (event.has("step")) {
          evaluatedSteps.add(event.get("step").asLong());
        }
      }
    }
    // 25 steps per epoch: step evaluations at 10, 20, 30, 40, 60, 70 (50 and 75 end epochs).
    assertThat(evaluatedSteps).containsExactly(10L, 20L, 30L, 40L, 60L, 70L);
    JsonNode report = JSON.readTree(dir.resolve("steps/metrics.json").toFile());
    assertThat(report.get("dev").get("sst2").get("values").get("accuracy").asDouble()).isEqualTo(best);
  }
}
