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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    assertThat(report.get("selected_epoch").asInt()).isEqualTo(best);
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

  /** SST-2 and TREC from separate files, 400 training rows each, at a rate that overfits them at different epochs. */
  private Path twoTasks(String name, String training) throws Exception {
    Path sstTrain = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, dir.resolve("sst-train.txt"));
    Path sstDev = EndToEndTest.firstLines("sentence-classic/stsa.binary.dev", 150, dir.resolve("sst-dev.txt"));
    Path sstTest = EndToEndTest.firstLines("sentence-classic/stsa.binary.test", 150, dir.resolve("sst-test.txt"));
    Path trec = EndToEndTest.firstLines("sentence-classic/TREC.train.all", 400, dir.resolve("trec-train.txt"));
    Path trecTest = EndToEndTest.firstLines("sentence-classic/TREC.test.all", 150, dir.resolve("trec-test.txt"));
    return Files.writeString(dir.resolve(name + ".yaml"), "output: " + name + "\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, format: label-text, labels: [negative, positive], label-encoding: index,"
        + " train: " + sstTrain + ", dev: " + sstDev + ", test: " + sstTest + "}\n"
        + "  - {name: trec, type: text-classification, format: label-text, labels: [DESC, ENTY, ABBR, HUM, LOC, NUM],"
        + " label-encoding: index, train: " + trec + ", test: " + trecTest + ", holdout: {dev: 0.25}}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.1}\n"
        + "training: " + training + "\n");
  }

  @Test
  @DisplayName("select-by: per-task keeps each task's state from its own best dev epoch and serves every task from one folder")
  void perTask() throws Exception {
    Path config = twoTasks("per-task", "{epochs: 6, batch-size: 16, learning-rate: 0.02, select-by: per-task}");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = JSON.readTree(dir.resolve("per-task/metrics.json").toFile());
    List<JsonNode> epochs = new ArrayList<>();
    report.get("epochs").forEach(epochs::add);
    for (String task : List.of("sst2", "trec")) {
      int best = firstBest(epochs, task);
      assertThat(report.get("task_epochs").get(task).asInt()).as(task).isEqualTo(best);
      assertThat(report.get("dev").get(task).get("values").get("accuracy").asDouble()).isEqualTo(accuracy(epochs.get(best), task));
      assertThat(dir.resolve("per-task/model/parameters/tasks").resolve(task)).isDirectory();
    }
    // The two tasks peak at different epochs here, so their states really differ.
    assertThat(report.get("task_epochs").get("sst2").asInt()).isNotEqualTo(report.get("task_epochs").get("trec").asInt());
    assertThat(dir.resolve("per-task/task-states")).doesNotExist();
    assertServedAsReported(report, "per-task");
  }

  @ParameterizedTest(name = "sampling: {0}")
  @ValueSource(strings = {"all", "round-robin"})
  @DisplayName("stop-tasks: a task stops training once its own patience runs out, keeps its state, and the other task trains on alone")
  void stopTasks(String sampling) throws Exception {
    // With round-robin, once one dataset's task has stopped every step draws the other's.
    Path config = twoTasks("stop", "{epochs: 10, batch-size: 16, learning-rate: 0.02, select-by: per-task, patience: 1, stop-tasks: true,"
        + " log-every: 1}\nsampling: " + sampling);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = JSON.readTree(dir.resolve("stop/metrics.json").toFile());
    List<JsonNode> epochs = new ArrayList<>();
    report.get("epochs").forEach(epochs::add);
    List<JsonNode> stops = new ArrayList<>();
    List<JsonNode> steps = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("stop/training-log.jsonl"))) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("task-stop")) {
        stops.add(event);
      } else if (event.get("event").asText().equals("step")) {
        steps.add(event);
      }
    }
    // The first task to go an evaluation without getting better stops; the run goes on while the
    // other improves, and ends when the other stops too.
    assertThat(stops).hasSize(2);
    String stopped = stops.get(0).get("task").asText();
    String other = stopped.equals("sst2") ? "trec" : "sst2";
    int stopEpoch = stops.get(0).get("epoch").asInt();
    assertThat(epochs.size()).isGreaterThan(stopEpoch + 1);
    assertThat(stops.get(1).get("task").asText()).isEqualTo(other);
    assertThat(stops.get(1).get("epoch").asInt()).isEqualTo(epochs.size() - 1);
    // Its state is its best up to the stop, whatever its dev accuracy does later as the shared layers move on.
    int best = firstBest(epochs.subList(0, stopEpoch + 1), stopped);
    assertThat(report.get("task_epochs").get(stopped).asInt()).isEqualTo(best).isEqualTo(stops.get(0).get("best_epoch").asInt());
    assertThat(best).isEqualTo(stopEpoch - 1);
    // Only the other task's loss trains after the stop, and the other keeps its own best of every epoch.
    for (JsonNode epoch : epochs.subList(stopEpoch + 1, epochs.size())) {
      assertThat(epoch.get("mean_loss").has(stopped)).as("epoch %d", epoch.get("epoch").asInt()).isFalse();
      assertThat(epoch.get("mean_loss").has(other)).isTrue();
    }
    assertThat(epochs.get(stopEpoch).get("mean_loss").has(stopped)).isTrue();
    // Every step after the stop trains the other task, and it alone: round-robin no longer draws the stopped one's dataset.
    long stopStep = stops.get(0).get("step").asLong();
    List<JsonNode> after = steps.stream().filter(e -> e.get("step").asLong() >= stopStep).toList();
    assertThat(after).hasSize(steps.size() - (int) stopStep)
        .allSatisfy(e -> assertThat(e.get("losses").fieldNames()).toIterable().containsExactly(other));
    assertThat(report.get("task_epochs").get(other).asInt()).isEqualTo(firstBest(epochs, other)).isGreaterThan(best);
    assertServedAsReported(report, "stop");
  }

  @Test
  @DisplayName("training.fine-tune: each task fine-tunes alone from the multi-task model and keeps its best dev state, the start included")
  void fineTune() throws Exception {
    Path config = twoTasks("tuned", "{epochs: 2, batch-size: 16, learning-rate: 0.02, select-by: mean,"
        + " fine-tune: {epochs: 3, learning-rate: 0.005, patience: 0}}");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = JSON.readTree(dir.resolve("tuned/metrics.json").toFile());
    List<JsonNode> events = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("tuned/training-log.jsonl"))) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("fine-tune")) {
        events.add(event);
      }
    }
    for (String task : List.of("sst2", "trec")) {
      List<JsonNode> own = events.stream().filter(e -> e.get("task").asText().equals(task)).toList();
      assertThat(own).extracting(e -> e.get("epoch").asInt()).containsExactly(0, 1, 2, 3);
      // Epoch 0 is the multi-task model: the kept (mean-selected) model's dev accuracy.
      assertThat(accuracy(own.get(0), task)).isEqualTo(accuracy(report.get("epochs").get(report.get("selected_epoch").asInt()), task));
      int best = firstBest(own, task);
      assertThat(report.get("fine_tune_epochs").get(task).asInt()).as(task).isEqualTo(best);
      assertThat(report.get("dev").get(task).get("values").get("accuracy").asDouble()).isEqualTo(accuracy(own.get(best), task));
      // Only the task's own loss trains in its fine-tuning.
      assertThat(own.get(1).get("train_loss").asDouble()).isPositive();
    }
    assertServedAsReported(report, "tuned");
    EndToEndTest.Result predicted = EndToEndTest.run("predict", dir.resolve("tuned/model").toString(), "what is the capital of france ?");
    assertThat(predicted.code()).as(predicted.err()).isZero();
    assertThat(predicted.out()).contains("\"sst2\"").contains("\"trec\"");
  }

  @Test
  @DisplayName("fine-tuning from the best-mean model works on the TensorFlow engine too, each task served from its own SavedModel")
  void tensorFlow() throws Exception {
    Path config = twoTasks("tf", "{epochs: 2, batch-size: 16, learning-rate: 0.02, select-by: mean, fine-tune: {epochs: 1}}\n"
        + "engine: {type: tensorflow}");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = JSON.readTree(dir.resolve("tf/metrics.json").toFile());
    assertThat(report.get("fine_tune_epochs").size()).isEqualTo(2);
    assertThat(dir.resolve("tf/model/parameters/tasks/trec/saved_model")).isDirectory();
    assertServedAsReported(report, "tf");
  }

  @Test
  @DisplayName("fine-tune refuses tasks without dev data before training, naming them and the fix")
  void fineTuneNeedsDev() throws Exception {
    Path train = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 40, dir.resolve("t.txt"));
    Path config = Files.writeString(dir.resolve("nodev.yaml"), "output: nodev\ntasks:\n  - {name: sst2, type: text-classification, train: "
        + train + "}\ntraining: {epochs: 1, fine-tune: {epochs: 1}}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("training.fine-tune keeps each task's best dev state, but [sst2] have no dev data").contains("holdout");
  }

  /** The saved folder, evaluated again as a user would, gives the test metrics the run reported. */
  private void assertServedAsReported(JsonNode report, String run) throws Exception {
    for (String task : List.of("sst2", "trec")) {
      String test = dir.resolve(task.equals("sst2") ? "sst-test.txt" : "trec-test.txt").toString();
      EndToEndTest.Result eval = EndToEndTest.run("eval", dir.resolve(run + "/model").toString(), test, "--task", task);
      assertThat(eval.code()).as(eval.err()).isZero();
      double reported = report.get("test").get(task).get("values").get("accuracy").asDouble();
      assertThat(eval.out()).as(task).contains(String.format(Locale.ROOT, "%.4f", reported));
    }
  }

  /** The position of the first evaluation with the task's highest dev accuracy, as selection picks it. */
  private static int firstBest(List<JsonNode> evaluations, String task) {
    int best = 0;
    for (int e = 1; e < evaluations.size(); e++) {
      if (accuracy(evaluations.get(e), task) > accuracy(evaluations.get(best), task)) {
        best = e;
      }
    }
    return best;
  }

  private static double accuracy(JsonNode epoch, String task) {
    JsonNode metrics = epoch.has("dev") ? epoch.get("dev") : epoch.get("metrics");
    return metrics.get(task).get("values").get("accuracy").asDouble();
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
    assertThat(r.err()).contains("`training.select-by` was 'accuracy' but it must be last, mean, delta-m, per-task or a task of this run [sst2]");
    Path lastOnly = Files.writeString(dir.resolve("last.yaml"), Files.readString(config).replace("select-by: accuracy, ", ""));
    assertThat(EndToEndTest.run("train", lastOnly.toString()).err()).contains("`training.patience` was '2' but it needs a criterion");
    Path stopByMean = Files.writeString(dir.resolve("mean.yaml"), Files.readString(config).replace("accuracy", "mean, stop-tasks: true"));
    assertThat(EndToEndTest.run("train", stopByMean.toString()).err())
        .contains("`training.stop-tasks` was 'true' but it stops each task when its own patience runs out, so it needs select-by: per-task");
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
        evaluatedSteps.add(event.get("step").asLong());
      }
    }
    // 25 steps per epoch: evaluations every 10 steps, and at each epoch's end (25, 50, 75), each by its step.
    assertThat(evaluatedSteps).containsExactly(10L, 20L, 25L, 30L, 40L, 50L, 60L, 70L, 75L);
    assertThat(JSON.readTree(dir.resolve("steps/metrics.json").toFile()).get("evaluations")).extracting(e -> e.get("step").asLong())
        .containsExactlyElementsOf(evaluatedSteps);
    JsonNode report = JSON.readTree(dir.resolve("steps/metrics.json").toFile());
    assertThat(report.get("dev").get("sst2").get("values").get("accuracy").asDouble()).isEqualTo(best);
  }
}
