package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every built-in sampler trains two real datasets of different sizes from one config line. */
class SamplingCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"all", "round-robin", "proportional", "temperature", "uniform", "annealed"})
  @DisplayName("trains from `sampling: <name>`; one-source samplers train one dataset per step")
  void trainsWithEachSampler(String sampler) throws Exception {
    Path config = sst2AndTrec(300, 120, "sampling: " + sampler + "\n" + "training: {epochs: 1, batch-size: 16, log-every: 1}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> log = Files.readAllLines(dir.resolve("run/training-log.jsonl"));
    Set<Set<String>> trainedTogether = new HashSet<>();
    int steps = 0;
    for (String line : log) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("step")) {
        Set<String> tasks = new HashSet<>();
        event.get("losses").fieldNames().forEachRemaining(tasks::add);
        trainedTogether.add(tasks);
        steps++;
      }
    }
    if (sampler.equals("all")) {
      // One pass over the larger dataset: ceil(300 / 16) steps, both tasks every step.
      assertThat(steps).isEqualTo(19);
      assertThat(trainedTogether).containsExactly(Set.of("sst2", "trec"));
    } else {
      // One pass over both datasets, one per step: ceil(300 / 16) + ceil(120 / 16) steps.
      assertThat(steps).isEqualTo(27);
      assertThat(trainedTogether).containsExactlyInAnyOrder(Set.of("sst2"), Set.of("trec"));
    }
  }

  @ParameterizedTest(name = "task-batches: {0}")
  @ValueSource(strings = {"shared", "per-task"})
  @DisplayName("two label sets over one corpus share each batch, or with `task-batches: per-task` take turns with batches of their own")
  void tasksOverOneCorpus(String taskBatches) throws Exception {
    Path config = Files.writeString(dir.resolve("run.yaml"), "output: run\nseed: 1\ntasks:\n"
        + sentimentAndEkman(200)
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 16, encoder: mean, hidden-size: 8}\n"
        + "sampling: round-robin\n"
        + "training: {epochs: 1, batch-size: 16, log-every: 1, task-batches: " + taskBatches + "}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    List<Set<String>> stepTasks = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("run/training-log.jsonl"))) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("step")) {
        Set<String> tasks = new HashSet<>();
        event.get("losses").fieldNames().forEachRemaining(tasks::add);
        stepTasks.add(tasks);
      }
    }
    if (taskBatches.equals("shared")) {
      // One source: ceil(200 / 16) steps, each training both label sets on the same batch.
      assertThat(stepTasks).hasSize(13).containsOnly(Set.of("sentiment", "ekman"));
    } else {
      // A source per task, in turn: each task still makes one pass over the corpus per epoch.
      assertThat(stepTasks).hasSize(26);
      for (int i = 0; i < stepTasks.size(); i++) {
        assertThat(stepTasks.get(i)).as("step %d", i).containsExactly(i % 2 == 0 ? "sentiment" : "ekman");
      }
    }
  }

  @Test
  @DisplayName("a weighting of task gradients with one dataset per step, one task each, fails before training and names the fix")
  void gradientWeightingNeedsTwoTasksPerStep() throws Exception {
    Path config = sst2AndTrec(60, 40, "weighting: {type: pcgrad, gramian: parameters}\n" + "sampling: round-robin\n"
        + "training: {epochs: 1, batch-size: 16}\n");
    // The fix the message names: every dataset every step gives the weighting both tasks' gradients.
    assertRefusedUntilSamplingAll(config, "round-robin", "`sampling.type` was 'round-robin' but it cannot go with weighting"
        + " 'pcgrad': it trains 1 of the 2 data sources [[sst2], [trec]] per step and each holds one task", "(" + config + ":9)",
        "use sampling: all, or a weighting that needs losses only");
  }

  @Test
  @DisplayName("a weighting that needs every task each step (moco) with one source per step fails before training, not at its first step")
  void everyTaskWeightingNeedsEverySourceEachStep() throws Exception {
    // Two label sets over one corpus and a second dataset: a one-source step trains two tasks or
    // one, so the check for steps of a single task passes, and moco would fail at its first step.
    Path sst2 = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 60, dir.resolve("sst2.txt"));
    Path config = Files.writeString(dir.resolve("run.yaml"), "output: run\nseed: 1\ntasks:\n"
        + sentimentAndEkman(120)
        + "  - {name: sst2, type: text-classification, train: " + sst2 + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 16, encoder: mean, hidden-size: 8}\n"
        + "weighting: {type: moco, gramian: parameters}\n"
        + "sampling: proportional\n"
        + "training: {epochs: 1, batch-size: 16}\n");
    assertRefusedUntilSamplingAll(config, "proportional", "`sampling.type` was 'proportional' but it cannot go with weighting"
        + " 'moco': it trains 1 of the 2 data sources [[sentiment, ekman], [sst2]] per step", "needs every task in every step",
        "(" + config + ":10)", "use sampling: all, or another weighting");
  }

  /**
   * {@code mtl train config} fails before training (exit 2, nothing saved) with {@code messages};
   * with {@code sampling: all} instead of {@code sampling: <sampler>}, the fix they name, it trains.
   */
  private void assertRefusedUntilSamplingAll(Path config, String sampler, String... messages) throws Exception {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(messages);
    assertThat(dir.resolve("run/model")).doesNotExist();
    Files.writeString(config, Files.readString(config).replace("sampling: " + sampler, "sampling: all"));
    EndToEndTest.Result fixed = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(fixed.code()).as(fixed.err()).isZero();
  }

  /** Task lines of two GoEmotions label sets over the same first {@code rows} comments: one corpus. */
  private String sentimentAndEkman(int rows) throws Exception {
    Path sentiment = EndToEndTest.firstLines("goemotions/group/train.tsv", rows, dir.resolve("sentiment.tsv"));
    Path ekman = EndToEndTest.firstLines("goemotions/ekman/train.tsv", rows, dir.resolve("ekman.tsv"));
    String labels = EndToEndTest.shared("goemotions").toAbsolutePath().toString();
    String layout = "type: text-classification, multi-label: true, format: tsv, text-column: 0, label-column: 1,"
        + " label-encoding: index";
    return "  - {name: sentiment, " + layout + ", labels: " + labels + "/group/labels.txt, train: " + sentiment + "}\n"
        + "  - {name: ekman, " + layout + ", labels: " + labels + "/ekman/labels.txt, train: " + ekman + "}\n";
  }

  /** A run of two real datasets (the first rows of SST-2 and TREC) with a small model, then {@code rest}. */
  private Path sst2AndTrec(int sst2Rows, int trecRows, String rest) throws Exception {
    Path sst2 = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", sst2Rows, dir.resolve("sst2.txt"));
    Path trec = EndToEndTest.firstLines("sentence-classic/TREC.train.all", trecRows, dir.resolve("trec.txt"));
    return Files.writeString(dir.resolve("run.yaml"), "output: run\nseed: 1\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + sst2 + "}\n"
        + "  - {name: trec, type: text-classification, train: " + trec + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 16, encoder: mean, hidden-size: 8}\n"
        + rest);
  }
}
