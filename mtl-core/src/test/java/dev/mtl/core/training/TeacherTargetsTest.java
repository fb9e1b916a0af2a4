package dev.mtl.core.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.run.Distillation;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.TaskData;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TeacherTargetsTest {
  private static final OutputSpec CLASSES = new OutputSpec(3, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("x", "y", "z"));
  private static final OutputSpec LABELS = new OutputSpec(2, LossKind.SIGMOID_BINARY_CROSS_ENTROPY, List.of("p", "q"));

  /** A source of four texts: task "single" taught, task "multi" taught, task "plain" without a teacher. */
  private static TeacherTargets targets(boolean anneal) {
    float[][] single = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.1f, 0.8f}, {0.3f, 0.3f, 0.4f}, {0.2f, 0.5f, 0.3f}};
    float[][] multi = {{0.9f, 0.4f}, {0.1f, 0.6f}, {0.5f, 0.5f}, {0.2f, 0.2f}};
    return new TeacherTargets(new Distillation(Map.of(), false, anneal), Map.of("single", CLASSES, "multi", LABELS, "plain", CLASSES),
        List.of(Map.of("single", single, "multi", multi)));
  }

  /** Rows 3 and 1 of the source (row 1 has no label for "single"). */
  private static SourceBatch batch() {
    return new SourceBatch(new TokenBatch(new int[][] {{1}, {2}}),
        Map.of("single", new float[][] {{1}, TaskData.UNLABELLED}, "multi", new float[][] {{1, 0}, {0, 1}},
            "plain", new float[][] {{2}, {0}}));
  }

  @Test
  @DisplayName("a class index becomes one-hot mixed with the teacher's distribution; multi-hot labels mix value by value")
  void mixesByGoldWeight() {
    SourceBatch mixed = targets(true).mix(0, new int[] {3, 1}, batch(), 25, 101); // gold weight 0.25
    assertThat(mixed.targets().get("single")[0]).containsExactly(new float[] {0.15f, 0.625f, 0.225f}, within(1e-6f));
    assertThat(mixed.targets().get("multi")[0]).containsExactly(new float[] {0.4f, 0.15f}, within(1e-6f));
    assertThat(mixed.targets().get("multi")[1]).containsExactly(new float[] {0.075f, 0.7f}, within(1e-6f));
  }

  @Test
  @DisplayName("unlabelled rows stay unlabelled, tasks without a teacher keep their labels, the tokens are the batch's")
  void leavesTheRestAlone() {
    SourceBatch given = batch();
    SourceBatch mixed = targets(true).mix(0, new int[] {3, 1}, given, 0, 101);
    assertThat(mixed.targets().get("single")[1]).isSameAs(TaskData.UNLABELLED);
    assertThat(mixed.targets().get("plain")).isSameAs(given.targets().get("plain"));
    assertThat(mixed.tokens()).isSameAs(given.tokens());
  }

  @Test
  @DisplayName("annealed: the teacher alone at the first step, the gold label alone at the last; without annealing the teacher throughout")
  void annealing() {
    assertThat(targets(true).mix(0, new int[] {3, 1}, batch(), 0, 101).targets().get("single")[0])
        .containsExactly(new float[] {0.2f, 0.5f, 0.3f}, within(1e-6f));
    assertThat(targets(true).mix(0, new int[] {3, 1}, batch(), 100, 101).targets().get("single")[0])
        .containsExactly(new float[] {0, 1, 0}, within(1e-6f));
    assertThat(targets(false).mix(0, new int[] {3, 1}, batch(), 100, 101).targets().get("multi")[1])
        .containsExactly(new float[] {0.1f, 0.6f}, within(1e-6f));
  }
}
