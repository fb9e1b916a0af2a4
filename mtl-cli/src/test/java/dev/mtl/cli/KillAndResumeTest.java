package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.mtl.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped mid-epoch, by SIGKILL or by SIGTERM, and resumed ends exactly as an uninterrupted
 * run: the same metrics and the same training log.
 */
class KillAndResumeTest {
  // Checkpoints keep NaN and infinities as such (e.g. no best score yet).
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  @TempDir static Path shared;
  @TempDir Path dir;
  private static Path reference;

  private static Path config(Path parent, String name) throws Exception {
    Path train = shared.resolve("train.txt");
    Path dev = shared.resolve("dev.txt");
    Path test = shared.resolve("test.txt");
    Path folder = Files.createDirectories(parent.resolve(name));
    return Files.writeString(folder.resolve("run.yaml"), "output: run\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + train + ", dev: " + dev + ", test: " + test + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.3}\n"
        + "weighting: uncertainty\n"
        + "training: {epochs: 6, batch-size: 8, learning-rate: 0.005, checkpoint-every: 5, log-every: 5, warmup-steps: 20, decay: cosine}\n");
  }

  @BeforeAll
  static void uninterrupted() throws Exception {
    EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, shared.resolve("train.txt"));
    EndToEndTest.firstLines("sentence-classic/stsa.binary.dev", 100, shared.resolve("dev.txt"));
    EndToEndTest.firstLines("sentence-classic/stsa.binary.test", 100, shared.resolve("test.txt"));
    reference = config(shared, "reference");
    EndToEndTest.Result straight = EndToEndTest.run("train", reference.toString(), "--quiet");
    assertThat(straight.code()).as(straight.err()).isZero();
  }

  /** {@code mtl train} on the config in a child JVM, output to child.log in the test's folder. */
  private Process startChild(Path config) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", MtlCli.class.getName(), "train", config.toString(), "--quiet"));
    return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("child.log").toFile()).start();
  }

  private void awaitWhileTraining(Process child, BooleanSupplier notYet) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (child.isAlive() && System.nanoTime() < deadline && notYet.getAsBoolean()) {
      Thread.onSpinWait();
    }
    assertThat(child.isAlive()).as("the child was still training when stopped; its output:\n%s", childLog()).isTrue();
  }

  private String childLog() throws IOException {
    return Files.exists(dir.resolve("child.log")) ? Files.readString(dir.resolve("child.log")) : "";
  }

  /** The resumed run's metrics and log equal the uninterrupted run's; its checkpoint is gone. */
  private static void assertResumesExactly(Path run) throws Exception {
    EndToEndTest.Result resumed = EndToEndTest.run("train", "--resume", run.toString(), "--quiet");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    JsonNode expected = JSON.readTree(reference.getParent().resolve("run/metrics.json").toFile());
    JsonNode actual = JSON.readTree(run.resolve("metrics.json").toFile());
    assertThat(actual.get("test")).isEqualTo(expected.get("test"));
    assertThat(actual.get("dev")).isEqualTo(expected.get("dev"));
    for (int e = 0; e < 6; e++) {
      assertThat(actual.get("epochs").get(e).get("mean_loss")).as("epoch %d", e).isEqualTo(expected.get("epochs").get(e).get("mean_loss"));
      assertThat(actual.get("epochs").get(e).get("mean_weight")).isEqualTo(expected.get("epochs").get(e).get("mean_weight"));
    }
    assertThat(Files.readAllLines(run.resolve("training-log.jsonl")))
        .containsExactlyElementsOf(Files.readAllLines(reference.getParent().resolve("run/training-log.jsonl")));
    assertThat(run.resolve("checkpoint")).doesNotExist();
  }

  @Test
  @DisplayName("SIGKILL mid-epoch, then `mtl train --resume`: the same metrics and the same log as an uninterrupted run")
  void killAndResume() throws Exception {
    Path killed = config(dir, "killed");
    Path run = killed.getParent().resolve("run");
    Process child = startChild(killed);
    Path state = run.resolve("checkpoint/trainer.json");
    // Wait for a checkpoint in the middle of the second epoch (50 steps per epoch), then kill -9.
    awaitWhileTraining(child, () -> checkpointStep(state) <= 55);
    child.destroyForcibly().waitFor();
    assertThat(run.resolve("metrics.json")).doesNotExist();
    AtomicFiles.recoverDirectory(state.getParent());
    assertThat(checkpointStep(state) % 50).as("a mid-epoch checkpoint").isNotZero();

    assertResumesExactly(run);
    EndToEndTest.Result again = EndToEndTest.run("train", "--resume", run.toString());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("nothing to resume in " + run, "it has no checkpoint");
  }

  @Test
  @DisplayName("SIGTERM mid-epoch: the step in flight finishes, a checkpoint is written, the JVM exits cleanly with a message, and --resume ends as an uninterrupted run")
  void sigtermStopsAtStepBoundary() throws Exception {
    Path stopped = config(dir, "stopped");
    Path run = stopped.getParent().resolve("run");
    Process child = startChild(stopped);
    Path log = run.resolve("training-log.jsonl");
    // Logged every 5 steps: past line 13 the run is in its second epoch, between periodic checkpoints or not.
    awaitWhileTraining(child, () -> lines(log) < 14);
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child stopped within a minute").isTrue();
    String output = childLog();
    assertThat(child.exitValue()).as(output).isEqualTo(143);
    assertThat(output).contains("training stopped by a signal after step ", "Continue with: mtl train --resume " + run);
    try (Stream<Path> crashReports = Files.list(dir)) {
      assertThat(crashReports.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith("hs_err"));
    }
    List<String> logLines = Files.readAllLines(log);
    JsonNode last = JSON.readTree(logLines.get(logLines.size() - 1));
    assertThat(last.get("event").asText()).isEqualTo("interrupted");
    assertThat(checkpointStep(run.resolve("checkpoint/trainer.json"))).isEqualTo(last.get("step").asLong());
    assertThat(output).contains("after step " + last.get("step").asLong() + " of 300");

    assertResumesExactly(run);
  }

  @Test
  @DisplayName("SIGTERM after stop-tasks has stopped one of two tasks: --resume keeps it stopped and ends as an uninterrupted run")
  void resumesWithAStoppedTask() throws Exception {
    Path train = EndToEndTest.firstLines("sentence-classic/TREC.train.all", 400, dir.resolve("trec-train.txt"));
    Path test = EndToEndTest.firstLines("sentence-classic/TREC.test.all", 100, dir.resolve("trec-test.txt"));
    String yaml = "output: run\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + shared.resolve("train.txt") + ", dev: " + shared.resolve("dev.txt")
        + ", test: " + shared.resolve("test.txt") + "}\n"
        + "  - {name: trec, type: text-classification, format: label-text, labels: [DESC, ENTY, ABBR, HUM, LOC, NUM],"
        + " label-encoding: index, train: " + train + ", test: " + test + ", holdout: {dev: 0.25}}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.1}\n"
        + "sampling: round-robin\nweighting: uncertainty\n"
        + "training: {epochs: 10, batch-size: 4, learning-rate: 0.02, select-by: per-task, patience: 1, stop-tasks: true,"
        + " log-every: 1, checkpoint-every: 7}\n";
    Path straight = Files.writeString(Files.createDirectories(dir.resolve("straight")).resolve("run.yaml"), yaml);
    EndToEndTest.Result uninterrupted = EndToEndTest.run("train", straight.toString(), "--quiet");
    assertThat(uninterrupted.code()).as(uninterrupted.err()).isZero();
    List<String> expectedLog = Files.readAllLines(straight.resolveSibling("run/training-log.jsonl"));
    assertThat(expectedLog).filteredOn(l -> l.contains("\"event\":\"task-stop\"")).hasSize(2);

    Path stopped = Files.writeString(Files.createDirectories(dir.resolve("stopped")).resolve("run.yaml"), yaml);
    Path run = stopped.resolveSibling("run");
    Process child = startChild(stopped);
    // The first task stops about one epoch (some 175 steps) before the run ends: stop it in between.
    awaitWhileTraining(child, () -> !contains(run.resolve("training-log.jsonl"), "\"event\":\"task-stop\""));
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child stopped within a minute").isTrue();
    assertThat(child.exitValue()).as(childLog()).isEqualTo(143);

    EndToEndTest.Result resumed = EndToEndTest.run("train", "--resume", run.toString(), "--quiet");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    // After the stop only the other task trains, in the resumed part as in the uninterrupted run.
    assertThat(Files.readAllLines(run.resolve("training-log.jsonl"))).containsExactlyElementsOf(expectedLog);
    JsonNode expected = JSON.readTree(straight.resolveSibling("run/metrics.json").toFile());
    JsonNode actual = JSON.readTree(run.resolve("metrics.json").toFile());
    assertThat(actual.get("test")).isEqualTo(expected.get("test"));
    assertThat(actual.get("task_epochs")).isEqualTo(expected.get("task_epochs"));
  }

  private static boolean contains(Path file, String text) {
    try {
      return Files.exists(file) && Files.readString(file).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  private static int lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** The step of the latest complete checkpoint, or -1 while none is readable (it may be mid-replace). */
  private static long checkpointStep(Path state) {
    try {
      return JSON.readTree(Files.readString(state)).path("step").asLong();
    } catch (IOException e) {
      return -1;
    }
  }
}
