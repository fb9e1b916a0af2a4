package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.task.TaskPrediction;
import dev.mtl.engine.pytorch.PyTorchEngineProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains through the CLI on small real samples (two GoEmotions label sets over the same texts plus
 * SST-2 as a separate dataset), then reloads the model and checks it reproduces the run's own
 * numbers exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private Path config;
  private int trainExit;
  private String trainOut;
  private String trainErr;

  static Path shared(String relative) {
    return Path.of(System.getProperty("mtl.shared.data", "../../shared/data")).resolve(relative).normalize();
  }

  private Path sample(String relative, int lines) throws Exception {
    return firstLines(relative, lines, dir.resolve("data").resolve(relative));
  }

  /** Copies the first {@code lines} lines of a shared data file to {@code target}, byte for byte. */
  static Path firstLines(String relative, int lines, Path target) throws Exception {
    Files.createDirectories(target.getParent());
    byte[] all = Files.readAllBytes(shared(relative));
    int end = 0;
    for (int seen = 0; end < all.length && seen < lines; end++) {
      if (all[end] == '\n') {
        seen++;
      }
    }
    return Files.write(target, Arrays.copyOf(all, end));
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = MtlCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  record Result(int code, String out, String err) {}

  /** The last event named {@code name} in a run's training log. */
  static JsonNode lastLogEvent(Path run, String name) throws Exception {
    ObjectMapper json = new ObjectMapper();
    JsonNode found = null;
    for (String line : Files.readAllLines(run.resolve("training-log.jsonl"))) {
      JsonNode event = json.readTree(line);
      if (event.path("event").asText().equals(name)) {
        found = event;
      }
    }
    if (found == null) {
      throw new AssertionError("no '" + name + "' event in " + run.resolve("training-log.jsonl"));
    }
    return found;
  }

  @BeforeAll
  void train() throws Exception {
    StringBuilder yaml = new StringBuilder("name: e2e\nseed: 3\noutput: run\ntasks:\n");
    for (String group : List.of("group", "ekman")) {
      yaml.append("  - name: ").append(group).append("\n    type: text-classification\n    format: tsv\n    multi-label: true\n")
          .append("    label-encoding: index\n    labels: ").append(shared("goemotions/" + group + "/labels.txt")).append('\n')
          .append("    train: ").append(sample("goemotions/" + group + "/train.tsv", 600)).append('\n')
          .append("    dev: ").append(sample("goemotions/" + group + "/dev.tsv", 150)).append('\n')
          .append("    test: ").append(sample("goemotions/" + group + "/test.tsv", 150)).append('\n');
    }
    yaml.append("  - name: sst2\n    type: text-classification\n    labels: [negative, positive]\n    label-encoding: index\n")
        .append("    train: ").append(sample("sentence-classic/stsa.binary.train", 400)).append('\n')
        .append("    test: ").append(sample("sentence-classic/stsa.binary.test", 150)).append('\n');
    yaml.append("""
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.1}
        training: {epochs: 4, batch-size: 16, learning-rate: 0.005}
        """);
    config = Files.writeString(dir.resolve("run.yaml"), yaml.toString());
    Result r = run("train", config.toString());
    trainExit = r.code();
    trainOut = r.out();
    trainErr = r.err();
  }

  @Test
  @DisplayName("trains, reports per-task dev and test metrics, and the training loss falls")
  void trainsAndReports() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    assertThat(trainErr).contains("group", "ekman", "sst2", "epoch 4 done");
    assertThat(trainOut).contains("dev", "test", "macro_f1", "model saved to");
    JsonNode report = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    JsonNode epochs = report.get("epochs");
    for (String task : List.of("group", "ekman", "sst2")) {
      double first = epochs.get(0).get("mean_loss").get(task).asDouble();
      double last = epochs.get(epochs.size() - 1).get("mean_loss").get(task).asDouble();
      assertThat(last).as(task).isLessThan(0.8 * first);
    }
    assertThat(report.get("test").fieldNames()).toIterable().containsExactly("group", "ekman", "sst2");
    assertThat(Files.readString(dir.resolve("run/config.yaml"))).contains("learning-rate: 0.005", "name: \"sst2\"");
    assertThat(Files.readAllLines(dir.resolve("run/training-log.jsonl"))).anySatisfy(l -> assertThat(l).contains("\"event\":\"evaluation\""));
  }

  @Test
  @DisplayName("the saved model records each plugin's version as the plugin reports it, and mtl-core's")
  void recordsPluginVersions() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    JsonNode versions = JSON.readTree(dir.resolve("run/model/mtl-model.json").toFile()).get("versions");
    assertThat(versions.fieldNames()).toIterable().contains("task/text-classification", "sharing/hard", "weighting/equal",
        "sampling/all", "tokenizer/words", "engine/djl-pytorch", "mtl-core");
    // The plugins come from the build's jars, whose manifests carry the project version.
    assertThat(versions.get("engine/djl-pytorch").asText()).isEqualTo(PyTorchEngineProvider.class.getPackage().getImplementationVersion())
        .isNotBlank();
  }

  @Test
  @DisplayName("the model directory has its card: MODEL.md and the same facts in mtl-model.json, data files traced by SHA-256")
  void modelCard() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    JsonNode card = JSON.readTree(dir.resolve("run/model/mtl-model.json").toFile()).get("card");
    JsonNode metrics = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    assertThat(card.get("tasks").fieldNames()).toIterable().containsExactly("group", "ekman", "sst2");
    assertThat(card.get("tasks").get("ekman").get("labels")).hasSize(7);
    assertThat(card.get("tasks").get("sst2").get("test")).isEqualTo(metrics.get("test").get("sst2").get("values"));
    assertThat(card.get("tasks").get("sst2").get("examples").get("train").asInt()).isEqualTo(400);
    assertThat(card.get("training").get("epochs").asInt()).isEqualTo(4);
    assertThat(card.get("os").asText()).contains(System.getProperty("os.name"));
    // Every data file of the config, with the digest of its bytes.
    JsonNode data = card.get("data");
    assertThat(data).hasSize(8);
    for (JsonNode file : data) {
      byte[] bytes = Files.readAllBytes(Path.of(file.get("path").asText()));
      String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
      assertThat(file.get("sha256").asText()).as(file.toString()).isEqualTo(sha);
      assertThat(file.get("bytes").asLong()).isEqualTo(bytes.length);
    }
    String md = Files.readString(dir.resolve("run/model/MODEL.md"));
    assertThat(md).startsWith("# Model card: e2e").contains("| sst2 | text-classification | 2 | 400 | 0 | 150 | accuracy |",
        "## Data", data.get(0).get("sha256").asText(), "## Versions", "## Config as run", "learning-rate: 0.005");
  }

  @Test
  @DisplayName("records task weights and the gradient conflict of every task pair, per logged step and per epoch")
  void recordsWeightingHistory() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    List<String> pairs = List.of("group~ekman", "group~sst2", "ekman~sst2");
    // Two corpora, so `gradient-conflict: auto` measures on the shared parameters at logged steps.
    List<String> log = Files.readAllLines(dir.resolve("run/training-log.jsonl"));
    assertThat(JSON.readTree(log.get(0)).get("schema_version").asInt()).isEqualTo(1);
    JsonNode first = JSON.readTree(log.get(1));
    assertThat(first.get("event").asText()).isEqualTo("step");
    assertThat(first.get("step").asInt()).isZero();
    assertThat(first.get("weights").get("sst2").asDouble()).isEqualTo(1.0);
    for (String pair : pairs) {
      assertThat(first.get("gradient_cosine").get(pair).asDouble()).as(pair).isBetween(-1.0, 1.0);
    }
    JsonNode epoch = JSON.readTree(dir.resolve("run/metrics.json").toFile()).get("epochs").get(0);
    assertThat(epoch.get("mean_weight").fieldNames()).toIterable().containsExactly("group", "ekman", "sst2");
    assertThat(epoch.get("mean_cosine").fieldNames()).toIterable().containsExactlyElementsOf(pairs);
  }

  @Test
  @DisplayName("`mtl report` writes one self-contained page: ECharts inlined, every evaluation on a step axis, per-class "
      + "results and confusion matrices from metrics.json, the resolved config; two runs overlay")
  void report() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    Result r = run("report", dir.resolve("run").toString());
    assertThat(r.code()).as(r.err()).isZero();
    String html = Files.readString(dir.resolve("run/report.html"));
    assertThat(html).contains("<h1>Run e2e</h1>", "Dev metrics at every evaluation", "Training loss per task", "Gradient conflict",
        "Per-class results on test", "Resolved config", "learning-rate: 0.005")
        .doesNotContain("<script src", "<link ");
    // The charting library is inside the page, and the chart options it draws parse as JSON.
    assertThat(html).contains("echarts.init(");
    JsonNode options = chartOptions(html);
    JsonNode metrics = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    JsonNode dev = options.get(0).get("option");
    assertThat(dev.get("xAxis").get("name").asText()).isEqualTo("step");
    assertThat(dev.get("yAxis").get("scale").asBoolean()).isTrue();
    // One point per evaluation for each task with dev data, at the evaluation's step.
    JsonNode group = dev.get("series").get(0);
    assertThat(group.get("name").asText()).isEqualTo("group macro_f1");
    assertThat(group.get("data")).hasSize(metrics.get("evaluations").size());
    assertThat(group.get("data").get(0).get(0).asLong()).isEqualTo(metrics.get("evaluations").get(0).get("step").asLong());
    // A confusion matrix per classification task: sst2's cells add up to its test examples.
    JsonNode sst2 = metrics.get("test_classes").get("sst2");
    assertThat(sst2.get("confusion_labels")).hasSize(2);
    long cells = 0;
    for (JsonNode row : sst2.get("confusion")) {
      for (JsonNode cell : row) {
        cells += cell.asLong();
      }
    }
    assertThat(cells).isEqualTo(metrics.get("test").get("sst2").get("examples").asLong());
    assertThat(metrics.get("test_classes").get("ekman").get("classes")).hasSize(7);
    assertThat(options).anySatisfy(c -> assertThat(c.get("option").get("series").get(0).get("type").asText()).isEqualTo("heatmap"));

    Path overlay = dir.resolve("overlay.html");
    Result two = run("report", dir.resolve("run").toString(), dir.resolve("run").toString(), "-o", overlay.toString());
    assertThat(two.code()).as(two.err()).isZero();
    JsonNode lines = chartOptions(Files.readString(overlay)).get(0).get("option").get("series");
    // Same task, same colour; the second run dashed. (Both runs share a directory name, so the path names them.)
    JsonNode first = lines.get(0);
    JsonNode second = lines.get(lines.size() / 2);
    assertThat(first.get("name").asText()).isEqualTo(dir.resolve("run") + ": group macro_f1");
    assertThat(second.get("name").asText()).isEqualTo(first.get("name").asText());
    assertThat(second.get("lineStyle").get("type").asText()).isEqualTo("dashed");
    assertThat(second.get("lineStyle").get("color")).isEqualTo(first.get("lineStyle").get("color"));
  }

  @Test
  @DisplayName("the reloaded model reproduces the run's test metrics exactly and predicts deterministically")
  void reloadsIdentically() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    JsonNode report = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    try (MultiTaskModel model = MultiTaskModel.load(dir.resolve("run/model"))) {
      assertThat(model.tasks()).containsExactly("group", "ekman", "sst2");
      Map<String, TaskData> test = new LinkedHashMap<>();
      test.put("group", model.task("group").read(dir.resolve("data/goemotions/group/test.tsv")));
      test.put("ekman", model.task("ekman").read(dir.resolve("data/goemotions/ekman/test.tsv")));
      test.put("sst2", model.task("sst2").read(dir.resolve("data/sentence-classic/stsa.binary.test")));
      Map<String, TaskMetrics> metrics = model.evaluate(test);
      metrics.forEach((task, m) -> m.values().forEach((name, value) ->
          assertThat(value).as(task + " " + name).isEqualTo(report.get("test").get(task).get("values").get(name).asDouble())));
      List<String> texts = new ArrayList<>(test.get("sst2").texts().subList(0, 20));
      assertThat(model.predict(texts)).isEqualTo(model.predict(texts));
    }
  }

  @Test
  @DisplayName("engine settings given at load replace the trained ones: one thread predicts the same; a bad value names the fix")
  void engineSettingsAtLoad() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    PluginRegistry registry = PluginRegistry.load();
    List<String> texts = List.of("what a wonderful day", "I am so angry about this", "the film was dull");
    try (MultiTaskModel trained = MultiTaskModel.load(dir.resolve("run/model"));
        MultiTaskModel oneThread = MultiTaskModel.load(dir.resolve("run/model"), registry, Map.of("threads", 1, "device", "cpu"))) {
      List<Map<String, TaskPrediction>> expected = trained.predict(texts);
      List<Map<String, TaskPrediction>> actual = oneThread.predict(texts);
      for (int i = 0; i < texts.size(); i++) {
        for (String task : trained.tasks()) {
          assertThat(actual.get(i).get(task).labels()).isEqualTo(expected.get(i).get(task).labels());
        }
      }
    }
    assertThatThrownBy(() -> MultiTaskModel.load(dir.resolve("run/model"), registry, Map.of("device", "tpu")))
        .hasMessageContaining("device").hasMessageContaining("tpu").hasMessageContaining("auto");
  }

  @Test
  @DisplayName("mtl predict prints one JSON line per text with every task's labels and scores")
  void predictCli() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    Result r = run("predict", dir.resolve("run/model").toString(), "what a wonderful film", "I am so angry right now");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(2);
    JsonNode first = JSON.readTree(lines.get(0));
    assertThat(first.get("text").asText()).isEqualTo("what a wonderful film");
    assertThat(first.get("sst2").get("labels")).hasSize(1);
    assertThat(first.get("sst2").get("scores").fieldNames()).toIterable().containsExactly("negative", "positive");
    assertThat(first.get("ekman").get("scores")).hasSize(7);
  }

  @Test
  @DisplayName("mtl predict on standard input: one line out per line in (a bare \\r is no break), Latin-1 decoded as in training, labels always present")
  void predictStdin() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    ByteArrayOutputStream input = new ByteArrayOutputStream();
    input.writeBytes("a fine film\r with a bare carriage return\r\n".getBytes(StandardCharsets.UTF_8));
    input.writeBytes(new byte[] {'c', 'a', 'f', (byte) 0xE9, ' ', 'n', 'o', 'i', 'r', '\n'}); // Latin-1
    input.writeBytes("\nno newline at the end".getBytes(StandardCharsets.UTF_8));
    InputStream stdin = System.in;
    Result r;
    try {
      System.setIn(new ByteArrayInputStream(input.toByteArray()));
      r = run("predict", dir.resolve("run/model").toString());
    } finally {
      System.setIn(stdin);
    }
    assertThat(r.code()).as(r.err()).isZero();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      lines.add(JSON.readTree(line));
    }
    assertThat(lines).extracting(l -> l.get("text").asText())
        .containsExactly("a fine film\r with a bare carriage return", "caf\u00e9 noir", "", "no newline at the end");
    for (JsonNode line : lines) {
      for (String task : List.of("group", "ekman", "sst2")) {
        assertThat(line.get(task).get("labels").isArray()).as(task).isTrue();
        assertThat(line.get(task).get("scores").size()).as(task).isPositive();
      }
    }
  }

  @Test
  @DisplayName("mtl predict --tasks/--threshold/--top-k choose labels from the same scores; --input/--output is a batch job")
  void predictOptions() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    String model = dir.resolve("run/model").toString();
    List<String> texts = List.of("what a wonderful film", "I am so angry right now", "a dull, tired plot");
    Path input = Files.write(dir.resolve("texts.txt"), texts);
    Path output = dir.resolve("out/predictions.jsonl");
    Result plain = run("predict", model, "--input", input.toString(), "--output", output.toString());
    assertThat(plain.code()).as(plain.err()).isZero();
    assertThat(plain.out()).isEmpty();
    List<JsonNode> all = new ArrayList<>();
    for (String line : Files.readAllLines(output)) {
      all.add(JSON.readTree(line));
    }
    assertThat(all).extracting(l -> l.get("text").asText()).containsExactlyElementsOf(texts);

    Result chosen = run("predict", model, "--input", input.toString(), "--tasks", "ekman,sst2", "--threshold", "0.2", "--top-k", "2");
    assertThat(chosen.code()).as(chosen.err()).isZero();
    List<String> lines = chosen.out().lines().toList();
    assertThat(lines).hasSize(3);
    for (int i = 0; i < lines.size(); i++) {
      JsonNode row = JSON.readTree(lines.get(i));
      assertThat(row.fieldNames()).toIterable().containsExactly("text", "ekman", "sst2");
      JsonNode scores = all.get(i).get("ekman").get("scores");
      // Expected from the scores of the plain run: labels at or above 0.2, best first, at most 2.
      List<String> expected = new ArrayList<>();
      scores.fieldNames().forEachRemaining(label -> {
        if (scores.get(label).asDouble() >= 0.2) {
          expected.add(label);
        }
      });
      expected.sort((a, b) -> Double.compare(scores.get(b).asDouble(), scores.get(a).asDouble()));
      List<String> labels = new ArrayList<>();
      row.get("ekman").get("labels").forEach(l -> labels.add(l.asText()));
      assertThat(labels).as(lines.get(i)).containsExactlyElementsOf(expected.subList(0, Math.min(2, expected.size())));
      // Single-label sst2 with --top-k 2: both labels, the model's choice first.
      assertThat(row.get("sst2").get("labels")).hasSize(2);
      assertThat(row.get("sst2").get("labels").get(0)).isEqualTo(all.get(i).get("sst2").get("labels").get(0));
    }
    Result unknown = run("predict", model, "--tasks", "emotion", "x");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("--tasks names 'emotion'", "[group, ekman, sst2]");
    Result badThreshold = run("predict", model, "--threshold", "1.5", "x");
    assertThat(badThreshold.code()).isEqualTo(2);
    assertThat(badThreshold.err()).contains("--threshold was 1.5");
  }

  /** The ECharts options a report page draws, as the page holds them. */
  private static JsonNode chartOptions(String html) throws Exception {
    Matcher charts = Pattern.compile("const charts = (\\[.*?\\]);\n", Pattern.DOTALL).matcher(html);
    assertThat(charts.find()).as("the page's chart options").isTrue();
    return JSON.readTree(charts.group(1).replace("<\\/", "</"));
  }

  @Test
  @DisplayName("--json on train, eval and compare prints documents that parse, with schema_version and snake_case keys; "
      + "metrics.json holds every evaluation")
  void jsonOutputs() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    JsonNode metrics = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    assertThat(metrics.get("schema_version").asInt()).isEqualTo(1);
    assertThat(metrics.get("model_directory").asText()).isEqualTo(dir.resolve("run/model").toString());
    // Every key mtl defines is snake_case (task, label and metric names are the user's or the task's own).
    List<String> keys = new ArrayList<>();
    metrics.fieldNames().forEachRemaining(keys::add);
    metrics.get("epochs").get(0).fieldNames().forEachRemaining(keys::add);
    metrics.get("test").get("sst2").fieldNames().forEachRemaining(keys::add);
    assertThat(keys).allSatisfy(k -> assertThat(k).matches("[a-z0-9_]+"));
    // One evaluation per epoch (no eval-every here), at the step that ended it.
    JsonNode evaluations = metrics.get("evaluations");
    assertThat(evaluations).hasSize(4);
    long stepsPerEpoch = evaluations.get(0).get("step").asLong();
    for (int e = 0; e < 4; e++) {
      assertThat(evaluations.get(e).get("epoch").asInt()).isEqualTo(e);
      assertThat(evaluations.get(e).get("step").asLong()).isEqualTo((e + 1) * stepsPerEpoch);
      assertThat(evaluations.get(e).get("metrics")).isEqualTo(metrics.get("epochs").get(e).get("dev"));
    }

    Result eval = run("eval", dir.resolve("run/model").toString(), config.toString(), "--json");
    assertThat(eval.code()).as(eval.err()).isZero();
    JsonNode evaluated = JSON.readTree(eval.out());
    assertThat(evaluated.get("schema_version").asInt()).isEqualTo(1);
    assertThat(evaluated.get("split").asText()).isEqualTo("test");
    for (String task : List.of("group", "ekman", "sst2")) {
      assertThat(evaluated.get("metrics").get(task).get("values")).as(task).isEqualTo(metrics.get("test").get(task).get("values"));
    }

    // Two copies of the run: compare names each row by its directory.
    Path copy = dir.resolve("run-copy");
    Files.createDirectories(copy.resolve("model"));
    Files.copy(dir.resolve("run/metrics.json"), copy.resolve("metrics.json"));
    Files.copy(dir.resolve("run/model/mtl-model.json"), copy.resolve("model/mtl-model.json"));
    Result table = run("compare", dir.resolve("run").toString(), copy.toString());
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out().lines().toList()).hasSize(4).element(0).asString()
        .startsWith("| run | sharing | weighting | sampling | group | ekman | sst2 |");
    assertThat(table.out()).contains("| " + dir.resolve("run") + " | hard | equal | all |", "| " + copy + " | hard | equal | all |");
    Result compared = run("compare", dir.resolve("run").toString(), copy.toString(), "--json");
    assertThat(compared.code()).as(compared.err()).isZero();
    JsonNode runs = JSON.readTree(compared.out()).get("runs");
    assertThat(runs).hasSize(2);
    assertThat(runs.get(1).get("run").asText()).isEqualTo(copy.toString());
    assertThat(runs.get(0).get("tasks").get("sst2").get("value").asDouble())
        .isEqualTo(metrics.get("test").get("sst2").get("values").get("accuracy").asDouble());
    assertThat(runs.get(0).get("parameters").asLong()).isEqualTo(metrics.get("parameter_count").asLong());

    // train --json: the document on standard output is what metrics.json holds.
    Path small = Files.writeString(dir.resolve("small.yaml"), """
        name: small
        output: small-run
        tasks:
          - name: sst2
            type: text-classification
            labels: [negative, positive]
            label-encoding: index
            train: %s
            dev: %s
        model: {embedding-size: 16, encoder: mean, hidden-size: 8}
        training: {epochs: 2, batch-size: 32, eval-every: 5}
        """.formatted(sample("sentence-classic/stsa.binary.train", 200), sample("sentence-classic/stsa.binary.dev", 60)));
    Result trained = run("train", small.toString(), "--json", "--quiet");
    assertThat(trained.code()).as(trained.err()).isZero();
    JsonNode printed = JSON.readTree(trained.out());
    JsonNode written = JSON.readTree(dir.resolve("small-run/metrics.json").toFile());
    assertThat(printed.get("schema_version").asInt()).isEqualTo(1);
    assertThat(printed.get("dev")).isEqualTo(written.get("dev"));
    assertThat(printed.get("evaluations")).isEqualTo(written.get("evaluations"));
    // 200 rows in batches of 32: 7 steps an epoch; eval-every 5 evaluates after steps 5 and 10 too.
    List<Long> steps = new ArrayList<>();
    written.get("evaluations").forEach(e -> steps.add(e.get("step").asLong()));
    assertThat(steps).containsExactly(5L, 7L, 10L, 14L);
  }

  @Test
  @DisplayName("mtl eval on a config and on a data file gives the run's own test numbers")
  void evalCli() throws Exception {
    assertThat(trainExit).as(trainErr).isZero();
    Result onConfig = run("eval", dir.resolve("run/model").toString(), config.toString());
    assertThat(onConfig.code()).as(onConfig.err()).isZero();
    assertThat(onConfig.out()).contains("group", "ekman", "sst2");
    Result onFile = run("eval", dir.resolve("run/model").toString(), dir.resolve("data/sentence-classic/stsa.binary.test").toString(), "--task", "sst2");
    assertThat(onFile.code()).as(onFile.err()).isZero();
    double accuracy = JSON.readTree(dir.resolve("run/metrics.json").toFile()).get("test").get("sst2").get("values").get("accuracy").asDouble();
    assertThat(onFile.out()).contains(String.format(Locale.ROOT, "%.4f", accuracy));
    Result noTask = run("eval", dir.resolve("run/model").toString(), dir.resolve("data/sentence-classic/stsa.binary.test").toString());
    assertThat(noTask.code()).isEqualTo(2);
    assertThat(noTask.err()).contains("--task is required", "[group, ekman, sst2]");
  }
}
