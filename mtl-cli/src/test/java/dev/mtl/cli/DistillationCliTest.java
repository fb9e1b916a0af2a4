package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `training.distill`: a multi-task run learns from single-task teachers' scores as well as the labels (BAM!). */
class DistillationCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  /** SST-2 and TREC from separate files, 300 training rows each. */
  private Path config(String name, String training, String trecLabels) throws Exception {
    Path sstTrain = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 300, dir.resolve("sst-train.txt"));
    Path sstDev = EndToEndTest.firstLines("sentence-classic/stsa.binary.dev", 100, dir.resolve("sst-dev.txt"));
    Path trec = EndToEndTest.firstLines("sentence-classic/TREC.train.all", 300, dir.resolve("trec-train.txt"));
    Path trecTest = EndToEndTest.firstLines("sentence-classic/TREC.test.all", 100, dir.resolve("trec-test.txt"));
    return Files.writeString(dir.resolve(name + ".yaml"), "output: " + name + "\nseed: 3\ntasks:\n"
        + "  - {name: sst2, type: text-classification, format: label-text, labels: [negative, positive], label-encoding: index,"
        + " train: " + sstTrain + ", dev: " + sstDev + ", test: " + sstDev + "}\n"
        + "  - {name: trec, type: text-classification, format: label-text, labels: " + trecLabels + ","
        + " label-encoding: index, train: " + trec + ", test: " + trecTest + ", holdout: {dev: 0.25}}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 24, encoder: cnn, hidden-size: 12, dropout: 0.1}\n"
        + "sampling: round-robin\n"
        + "training: " + training + "\n");
  }

  private static final String TREC = "[DESC, ENTY, ABBR, HUM, LOC, NUM]";

  private static double firstLoss(Path log, String task) throws Exception {
    for (String line : Files.readAllLines(log)) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("step") && event.get("losses").has(task)) {
        return event.get("losses").get(task).asDouble();
      }
    }
    throw new AssertionError("no step of " + task + " in " + log);
  }

  @Test
  @DisplayName("teachers: single-task trains each task alone first, then the multi-task run learns from their scores and is"
      + " compared with them; a second run reuses the teachers, a run of a changed config trains them again")
  void singleTaskTeachers() throws Exception {
    String training = "{epochs: 2, batch-size: 16, learning-rate: 0.01, select-by: per-task, distill: {teachers: single-task}}";
    Path config = config("student", training, TREC);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("single-task teacher: sst2").contains("single-task teacher: trec");
    for (String task : List.of("sst2", "trec")) {
      assertThat(dir.resolve("student/single-task").resolve(task).resolve("model/mtl-model.json")).isRegularFile();
    }
    JsonNode report = JSON.readTree(dir.resolve("student/metrics.json").toFile());
    assertThat(report.get("baselines").get("tasks").has("sst2")).isTrue();
    assertThat(report.get("baselines").get("delta_m").isNumber()).isTrue();
    assertThat(r.out()).contains("Δm%");

    // The same run without distillation starts from the same parameters and batches: only the targets differ.
    Path plain = config("plain", training.replace(", distill: {teachers: single-task}", ""), TREC);
    EndToEndTest.Result p = EndToEndTest.run("train", plain.toString(), "--quiet");
    assertThat(p.code()).as(p.err()).isZero();
    for (String task : List.of("sst2", "trec")) {
      assertThat(firstLoss(dir.resolve("student/training-log.jsonl"), task)).as(task)
          .isNotEqualTo(firstLoss(dir.resolve("plain/training-log.jsonl"), task));
    }

    // The run's device goes to its teachers too (a teacher trained on a GPU scores on the CPU the run trains on).
    EndToEndTest.Result again = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("student"),
        "--set", "engine.device=cpu");
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.err()).doesNotContain("single-task teacher");

    // After a change to the config the old teachers no longer match it: they are trained again, from the new config.
    EndToEndTest.Result changed = EndToEndTest.run("train", config.toString(), "--set", "model.dropout=0.3");
    assertThat(changed.code()).as(changed.err()).isZero();
    assertThat(changed.err()).contains("single-task teachers missing or trained from another config (sst2, trec)")
        .contains("single-task teacher: sst2");
    assertThat(Files.readString(dir.resolve("student/single-task/trec/config.yaml"))).contains("dropout: 0.3");
  }

  @Test
  @DisplayName("a teacher trained on other labels, or a missing teacher folder, stops the run with the folder, the labels and the fix")
  void badTeachers() throws Exception {
    Path other = config("other", "{epochs: 1, batch-size: 16}", "[DESC, ENTY, ABBR, HUM, NUM, LOC]");
    assertThat(EndToEndTest.run("train", other.toString(), "--quiet").code()).isZero();
    Path config = config("student", "{epochs: 1, batch-size: 16, distill: {teachers: {trec: other/model}}}", TREC);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("teacher of task 'trec'").contains(dir.resolve("other/model").toString())
        .contains("[DESC, ENTY, ABBR, HUM, NUM, LOC]").contains("same labels, in the same order");
    Path missing = config("missing", "{epochs: 1, batch-size: 16, distill: {teachers: {sst2: nowhere/model}}}", TREC);
    EndToEndTest.Result m = EndToEndTest.run("train", missing.toString(), "--quiet");
    assertThat(m.code()).isNotZero();
    assertThat(m.err()).contains("training.distill.teachers.sst2").contains("nowhere/model").contains("does not exist");
  }

  @Test
  @DisplayName("cross-validation refuses a distilling config: its teachers have seen every fold's held-out rows")
  void crossValidationRefuses() throws Exception {
    Path config = config("cv", "{epochs: 1, batch-size: 16, distill: {teachers: single-task}}", TREC);
    EndToEndTest.Result r = EndToEndTest.run("cv", config.toString(), "--folds", "2");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("cannot run a config with training.distill").contains("--set training.distill=null");
    assertThat(dir.resolve("cv/single-task")).doesNotExist();
  }
}
