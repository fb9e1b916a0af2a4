package dev.mtl.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillationTest {
  @TempDir Path dir;

  private RunConfig config(String training) throws Exception {
    return RunConfig.load(Files.writeString(dir.resolve("run.yaml"), """
        output: out
        tasks:
          - {name: a, type: t}
          - {name: b, type: t}
        training: %s
        """.formatted(training)));
  }

  @Test
  @DisplayName("teachers: single-task names each task's model under <output>/single-task, annealed by default")
  void singleTaskTeachers() throws Exception {
    RunConfig config = config("{distill: {teachers: single-task}}");
    config.root().source().throwIfInvalid();
    Distillation distillation = config.training().distillation().orElseThrow();
    assertThat(distillation.fromSingleTask()).isTrue();
    assertThat(distillation.anneal()).isTrue();
    assertThat(distillation.teachers()).containsOnlyKeys("a", "b")
        .containsEntry("a", dir.resolve("out/single-task/a/model"))
        .containsEntry("b", dir.resolve("out/single-task/b/model"));
    assertThat(config("{epochs: 2}").training().distillation()).isEmpty();
  }

  @Test
  @DisplayName("teachers by task: folders resolved against the config's folder; tasks without one are left to their labels")
  void teachersByTask() throws Exception {
    Files.createDirectories(dir.resolve("models/a"));
    RunConfig config = config("{distill: {teachers: {a: models/a}, anneal: false}}");
    config.root().source().throwIfInvalid();
    Distillation distillation = config.training().distillation().orElseThrow();
    assertThat(distillation.teachers()).containsOnly(Map.entry("a", dir.resolve("models/a")));
    assertThat(distillation.fromSingleTask()).isFalse();
    assertThat(distillation.anneal()).isFalse();
  }

  @Test
  @DisplayName("a teacher of an unknown task, a missing folder, a wrong value and an unknown key are problems naming them")
  void problems() throws Exception {
    RunConfig config = config("{distill: {teachers: {c: models/c, b: models/missing}, temperature: 2}}");
    config.root().reportUnknownKeys(); // as resolving a run does
    assertThat(config.root().source().problems()).extracting(ConfigProblem::toString)
        .anySatisfy(p -> assertThat(p).contains("training.distill.teachers.c").contains("not a task of this run [a, b]"))
        .anySatisfy(p -> assertThat(p).contains("training.distill.teachers.b").contains("models/missing").contains("does not exist"))
        .anySatisfy(p -> assertThat(p).contains("training.distill.temperature").contains("not a known setting"));
    assertThat(config("{distill: {teachers: everyone}}").root().source().problems()).singleElement()
        .extracting(ConfigProblem::toString).asString().contains("training.distill.teachers").contains("single-task")
        .contains("map of task names to model folders");
  }

  @Test
  @DisplayName("teacher annealing: the gold label's weight rises linearly from 0 at the first step to 1 at the last; without it, 0")
  void goldWeight() {
    Distillation annealed = new Distillation(Map.of(), true, true);
    assertThat(annealed.goldWeight(0, 101)).isZero();
    assertThat(annealed.goldWeight(25, 101)).isEqualTo(0.25);
    assertThat(annealed.goldWeight(100, 101)).isEqualTo(1);
    assertThat(annealed.goldWeight(0, 1)).isEqualTo(1);
    assertThat(new Distillation(Map.of(), true, false).goldWeight(100, 101)).isZero();
  }
}
