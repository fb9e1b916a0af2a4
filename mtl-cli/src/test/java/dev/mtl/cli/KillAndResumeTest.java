package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run killed with SIGKILL mid-epoch and resumed ends exactly as an uninterrupted run. */
class KillAndResumeTest {
  // Checkpoints keep NaN and infinities as such (e.g. no best score yet).
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  @TempDir Path dir;

  private Path config(String name, Path train, Path dev, Path test) throws Exception {
    Path folder = Files.createDirectories(dir.resolve(name));
    return Files.writeString(folder.resolve("run.yaml"), "output: run\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + train + ", dev: " + dev + ", test: " + test + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.3}\n"
        + "weighting: uncertainty\n"
        + "training: {epochs: 6, batch-size: 8, learning-rate: 0.005, checkpoint-every: 5, log-every: 5, warmup-steps: 20, decay: cosine}\n");
  }

  @Test
  @DisplayName("SIGKILL mid-epoch, then `mtl train --resume`: the same metrics and the same log as an uninterrupted run")
  void killAndResume() throws Exception {
    Path train = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, dir.resolve("train.txt"));
    Path dev = EndToEndTest.firstLines("sentence-classic/stsa.binary.dev", 100, dir.resolve("dev.txt"));
    Path test = EndToEndTest.firstLines("sentence-classic/stsa.binary.test", 100, dir.resolve("test.txt"));

    Path reference = config("reference", train, dev, test);
    EndToEndTest.Result straight = EndToEndTest.run("train", reference.toString(), "--quiet");
    assertThat(straight.code()).as(straight.err()).isZero();

    Path killed = config("killed", train, dev, test);
    Path run = killed.getParent().resolve("run");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", MtlCli.class.getName(), "train", killed.toString(), "--quiet"));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    Path state = run.resolve("checkpoint/trainer.json");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    // Wait for a checkpoint in the middle of the second epoch (50 steps per epoch), then kill -9.
    while (child.isAlive() && System.nanoTime() < deadline && checkpointStep(state) <= 55) {
      Thread.onSpinWait();
    }
    assertThat(child.isAlive()).as("the child was still training when killed; its output:\n%s",
        Files.exists(dir.resolve("child.log")) ? Files.readString(dir.resolve("child.log")) : "").isTrue();
    child.destroyForcibly().waitFor();
    assertThat(run.resolve("metrics.json")).doesNotExist();
    AtomicFiles.recoverDirectory(state.getParent());
    assertThat(checkpointStep(state) % 50).as("a mid-epoch checkpoint").isNotZero();

    EndToEndTest.Result resumed = EndToEndTest.run("train", "--resume", run.toString(), "--quiet");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    JsonNode expected = JSON.readTree(reference.getParent().resolve("run/metrics.json").toFile());
    JsonNode actual = JSON.readTree(run.resolve("metrics.json").toFile());
    assertThat(actual.get("test")).isEqualTo(expected.get("test"));
    assertThat(actual.get("dev")).isEqualTo(expected.get("dev"));
    for (int e = 0; e < 6; e++) {
      assertThat(actual.get("epochs").get(e).get("meanLoss")).as("epoch %d", e).isEqualTo(expected.get("epochs").get(e).get("meanLoss"));
      assertThat(actual.get("epochs").get(e).get("meanWeight")).isEqualTo(expected.get("epochs").get(e).get("meanWeight"));
    }
    assertThat(Files.readAllLines(run.resolve("training-log.jsonl")))
        .containsExactlyElementsOf(Files.readAllLines(reference.getParent().resolve("run/training-log.jsonl")));
    assertThat(run.resolve("checkpoint")).doesNotExist();
    EndToEndTest.Result again = EndToEndTest.run("train", "--resume", run.toString());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("nothing to resume in " + run, "it has no checkpoint");
  }

  /** The step of the latest complete checkpoint, or -1 while none is readable (it may be mid-replace). */
  private static long checkpointStep(Path state) {
    try {
      return JSON.readTree(Files.readString(state)).path("step").asLong();
    } catch (java.io.IOException e) {
      return -1;
    }
  }
}
