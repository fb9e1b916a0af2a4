package dev.mtl.tasks.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.data.DataException;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskPrediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextClassificationTaskTest {
  @TempDir Path dir;

  private Task task(Map<String, Object> settings) {
    ConfigSection section = ConfigSection.of("test.yaml", dir, settings);
    Task task = new TextClassificationProvider().create("t", section);
    section.reportUnknownKeys();
    section.source().throwIfInvalid();
    return task;
  }

  /** A task fitted on its train file, as model assembly fits it. */
  private Task fitted(Map<String, Object> settings) {
    Task task = task(settings);
    task.fit(task.dataFile(DataSplit.TRAIN).orElseThrow());
    return task;
  }

  private Path file(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  @DisplayName("GoEmotions TSV: multi-label ids index labels.txt, every row read")
  void goEmotions() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("format", "tsv");
    s.put("multi-label", true);
    s.put("label-encoding", "index");
    s.put("labels", SharedData.path("goemotions/ekman/labels.txt").toString());
    s.put("train", SharedData.path("goemotions/ekman/dev.tsv").toString());
    Task task = task(s);
    assertThat(task.output().names()).containsExactly("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise");
    assertThat(task.output().loss()).isEqualTo(LossKind.SIGMOID_BINARY_CROSS_ENTROPY);
    TaskData data = task.read(task.dataFile(DataSplit.TRAIN).orElseThrow());
    assertThat(data.size()).isEqualTo(5426);
    assertThat(data.targets()).anySatisfy(t -> assertThat(sum(t)).isGreaterThan(1f));
    assertThat(data.targets()).allSatisfy(t -> assertThat(sum(t)).isGreaterThanOrEqualTo(1f));
  }

  @Test
  @DisplayName("label-text without `labels` learns sorted labels from the training file; Latin-1 rows survive")
  void learnsLabels() {
    Task task = task(Map.of("train", SharedData.path("sentence-classic/TREC.train.all").toString()));
    assertThatThrownBy(task::output).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("task 't' has not learned its labels yet: list them in `labels`, or fit it on its train file");
    task.fit(task.dataFile(DataSplit.TRAIN).orElseThrow());
    assertThat(task.output().names()).containsExactly("0", "1", "2", "3", "4", "5");
    TaskData data = task.read(task.dataFile(DataSplit.TRAIN).orElseThrow());
    assertThat(data.size()).isEqualTo(5452);
    assertThat(data.texts()).anySatisfy(t -> assertThat(t).contains("sister\u00f0city"));
  }

  @Test
  @DisplayName("CSV with a header, quotes and a quoted newline; JSONL with array labels")
  void csvAndJsonl() throws Exception {
    Path csv = file("d.csv", "id,review,stars\n1,\"Good, \"\"really\"\" good\",pos\n2,\"two\nlines\",neg\n");
    Task t = fitted(Map.of("format", "csv", "header", true, "text-column", "review", "label-column", "stars", "train", csv.toString()));
    TaskData data = t.read(csv);
    assertThat(data.texts()).containsExactly("Good, \"really\" good", "two\nlines");
    assertThat(t.output().names()).containsExactly("neg", "pos");

    Path jsonl = file("d.jsonl", "{\"text\": \"a b\", \"label\": [\"x\", \"y\"]}\n{\"text\": \"c\", \"label\": \"y\"}\n");
    Task j = task(Map.of("format", "jsonl", "multi-label", true, "labels", List.of("x", "y", "z"), "train", jsonl.toString()));
    assertThat(j.read(jsonl).targets()).containsExactly(new float[] {1, 1, 0}, new float[] {0, 1, 0});
  }

  @Test
  @DisplayName("bad rows fail with file:line, the reason, the row and the fix; nothing is dropped silently")
  void badRowsFail() throws Exception {
    Path train = file("train.txt", "pos fine text\nneg\npos   \nmaybe odd label\nneg ok\n");
    Task t = task(Map.of("labels", List.of("neg", "pos"), "train", train.toString()));
    assertThatThrownBy(() -> t.read(train)).isInstanceOf(DataException.class)
        .hasMessageContaining("3 bad rows in " + train)
        .hasMessageContaining(train + ":2: expected '<label> <text>' but found no text after the label: \"neg\"")
        .hasMessageContaining(train + ":3: has an empty text")
        .hasMessageContaining(train + ":4: has the unknown label 'maybe'; known labels: [neg, pos]: \"odd label\"")
        .hasMessageContaining("set `bad-rows: skip`")
        .satisfies(e -> assertThat(((DataException) e).problems()).hasSize(3));
  }

  @Test
  @DisplayName("with `bad-rows: skip` bad rows are skipped and counted")
  void badRowsSkipped() throws Exception {
    Path train = file("train.txt", "pos fine text\nneg\nneg ok\n");
    Task t = task(Map.of("labels", List.of("neg", "pos"), "bad-rows", "skip", "train", train.toString()));
    TaskData data = t.read(train);
    assertThat(data.texts()).containsExactly("fine text", "ok");
    assertThat(data.skippedRows()).isEqualTo(1);
  }

  @Test
  @DisplayName("a single-label task refuses rows with several labels, naming the setting that allows them")
  void singleLabelRefusesSeveral() throws Exception {
    Path train = file("t.tsv", "some text\t1,2\n");
    Task t = task(Map.of("format", "tsv", "labels", List.of("a", "b", "c"), "label-encoding", "index", "train", train.toString()));
    assertThatThrownBy(() -> t.read(train)).hasMessageContaining(train + ":1: has 2 labels [1, 2] but the task is single-label (set `multi-label: true`)");
  }

  @Test
  @DisplayName("invalid settings are all reported with their property")
  void invalidSettings() {
    ConfigSection section = ConfigSection.of("test.yaml", dir, Map.of("format", "tvs", "train", "missing.tsv", "label-encoding", "index"));
    new TextClassificationProvider().create("t", section);
    assertThat(section.source().problems()).extracting(p -> p.message()).anySatisfy(m -> assertThat(m).startsWith("`format` was 'tvs' but it must be one of [csv, jsonl, label-text, tsv]"))
        .anySatisfy(m -> assertThat(m).startsWith("`train` was 'missing.tsv' but it must name an existing file"))
        .anySatisfy(m -> assertThat(m).startsWith("`labels` is missing but it is required with `label-encoding: index`"));
  }

  @Test
  @DisplayName("`labels` or `train` naming a folder is a config problem, not labels learned from elsewhere")
  void folderForAFile() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("labels"));
    Path train = file("t.txt", "a x\nb y\n");
    ConfigSection section = ConfigSection.of("test.yaml", dir, Map.of("labels", "labels", "train", train.toString(), "dev", "."));
    new TextClassificationProvider().create("t", section);
    assertThat(section.source().problems()).extracting(p -> p.message())
        .anySatisfy(m -> assertThat(m).startsWith("`labels` was 'labels' but it must name a file, but " + folder + " is a folder"))
        .anySatisfy(m -> assertThat(m).startsWith("`dev` was '.' but it must name a file, but " + dir + " is a folder"));
  }

  @Test
  @DisplayName("decodes: argmax for single-label, threshold for multi-label")
  void decodes() throws Exception {
    Path train = file("t.txt", "a x\nb y\n");
    TaskPrediction single = fitted(Map.of("train", train.toString())).decode(new float[] {0.3f, 0.7f});
    assertThat(single.labels()).containsExactly("b");
    assertThat(single.scores()).containsEntry("a", (double) 0.3f);
    TaskPrediction multi = fitted(Map.of("train", train.toString(), "multi-label", true, "threshold", 0.25)).decode(new float[] {0.3f, 0.2f});
    assertThat(multi.labels()).containsExactly("a");
  }

  @Test
  @DisplayName("threshold: tune chooses each label's threshold on held-out scores (calibratedMetrics measures that choice without making it); the resolved settings recreate it")
  void tunedThresholds() throws Exception {
    Path train = file("t.txt", "a,b x\nb y\nc z\n");
    Task task = fitted(Map.of("train", train.toString(), "multi-label", true, "threshold", "tune"));
    assertThat(task.calibrationRequested()).isTrue();
    float[][] scores = {{0.9f, 0.2f, 0.1f}, {0.6f, 0.3f, 0.1f}, {0.3f, 0.1f, 0.2f}, {0.2f, 0.05f, 0.1f}};
    float[][] gold = {{1, 1, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 0}};
    assertThat(task.evaluate(scores, gold).values()).containsEntry("macro_f1", 0.5); // at 0.5: a F1 1, b F1 0, c never seen (not counted)
    // What training selects by: the metrics calibration would give, the task's thresholds left at 0.5.
    assertThat(task.calibratedMetrics(scores, gold).values().get("macro_f1")).isCloseTo(0.9, within(1e-12));
    assertThat(task.evaluate(scores, gold).values()).containsEntry("macro_f1", 0.5);
    assertThat(task.decode(scores[2]).labels()).isEmpty();

    Map<String, Object> chosen = task.calibrate(scores, gold);

    // a: accept 0.9 and 0.6 (F1 1), halfway down to 0.3; b: accept 0.3, 0.2, 0.1 (F1 0.8), halfway to 0.05; c: no positives, 0.5 stays.
    Map<String, Double> expected = new LinkedHashMap<>();
    expected.put("a", ((double) 0.6f + (double) 0.3f) / 2);
    expected.put("b", ((double) 0.1f + (double) 0.05f) / 2);
    expected.put("c", 0.5);
    assertThat(chosen).containsEntry("threshold", expected);
    assertThat(task.evaluate(scores, gold).values().get("macro_f1")).isCloseTo(0.9, within(1e-12));
    assertThat(task.calibratedMetrics(scores, gold)).isEqualTo(task.evaluate(scores, gold));
    assertThat(task.decode(scores[2]).labels()).containsExactly("b");
    assertThat(task.resolvedSettings()).containsEntry("threshold", expected);
    Task reloaded = task(task.resolvedSettings());
    assertThat(reloaded.calibrationRequested()).isFalse();
    assertThat(reloaded.decode(scores[2]).labels()).containsExactly("b");
    assertThat(reloaded.evaluate(scores, gold)).isEqualTo(task.evaluate(scores, gold));
  }

  @Test
  @DisplayName("threshold: a map sets labels it names (the rest 0.5); bad values, unknown labels and single-label tuning are refused")
  void thresholdSettings() throws Exception {
    Path train = file("t.txt", "a x\nb y\n");
    Task byLabel = fitted(Map.of("train", train.toString(), "multi-label", true, "labels", List.of("a", "b"), "threshold", Map.of("b", 0.1)));
    assertThat(byLabel.decode(new float[] {0.4f, 0.2f}).labels()).containsExactly("b");
    assertThat(byLabel.decode(new float[] {0.5f, 0.05f}).labels()).containsExactly("a");

    ConfigSection section = ConfigSection.of("test.yaml", dir, Map.of("train", train.toString(), "multi-label", true,
        "labels", List.of("a", "b"), "threshold", Map.of("z", 0.3, "a", 2)));
    new TextClassificationProvider().create("t", section);
    assertThat(section.source().problems()).extracting(p -> p.message())
        .anySatisfy(m -> assertThat(m).startsWith("`threshold.z` was '0.3' but it names no label of the task; its labels are [a, b]"))
        .anySatisfy(m -> assertThat(m).startsWith("`threshold.a` was '2' but it must be a number between 0 and 1"));

    ConfigSection word = ConfigSection.of("test.yaml", dir, Map.of("train", train.toString(), "multi-label", true, "threshold", "auto"));
    new TextClassificationProvider().create("t", word);
    assertThat(word.source().problems()).extracting(p -> p.message())
        .anySatisfy(m -> assertThat(m).startsWith("`threshold` was 'auto' but it must be a number between 0 and 1, `tune`"));

    ConfigSection single = ConfigSection.of("test.yaml", dir, Map.of("train", train.toString(), "threshold", "tune"));
    new TextClassificationProvider().create("t", single);
    assertThat(single.source().problems()).extracting(p -> p.message())
        .anySatisfy(m -> assertThat(m).startsWith("`threshold` was 'tune' but it applies to multi-label tasks only"));
  }

  private static float sum(float[] v) {
    float s = 0;
    for (float x : v) {
      s += x;
    }
    return s;
  }
}
