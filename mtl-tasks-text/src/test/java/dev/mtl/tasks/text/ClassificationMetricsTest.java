package dev.mtl.tasks.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.task.TaskMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {
  @Test
  @DisplayName("single-label metrics match a hand-worked confusion matrix")
  void singleLabel() {
    // gold:      0 0 0 1 1 2
    // predicted: 0 0 1 1 2 2
    // class 0: tp2 fp0 fn1 -> p1 r2/3 f0.8; class 1: tp1 fp1 fn1 -> p.5 r.5 f.5; class 2: tp1 fp1 fn0 -> p.5 r1 f2/3
    TaskMetrics m = ClassificationMetrics.singleLabel(new int[] {0, 0, 1, 1, 2, 2}, new int[] {0, 0, 0, 1, 1, 2}, 3);
    assertThat(m.values().get("accuracy")).isCloseTo(4 / 6.0, within(1e-12));
    assertThat(m.values().get("macro_precision")).isCloseTo((1 + 0.5 + 0.5) / 3, within(1e-12));
    assertThat(m.values().get("macro_recall")).isCloseTo((2 / 3.0 + 0.5 + 1) / 3, within(1e-12));
    assertThat(m.values().get("macro_f1")).isCloseTo((0.8 + 0.5 + 2 / 3.0) / 3, within(1e-12));
    assertThat(m.primary()).isEqualTo("accuracy");
  }

  @Test
  @DisplayName("multi-label metrics: exact-match accuracy, macro over seen classes, micro-F1")
  void multiLabel() {
    boolean[][] gold = {{true, false, false}, {true, true, false}};
    boolean[][] pred = {{true, false, false}, {true, false, false}};
    TaskMetrics m = ClassificationMetrics.multiLabel(pred, gold, 3);
    assertThat(m.values().get("accuracy")).isEqualTo(0.5);
    // class 0: p1 r1 f1; class 1: p0 r0 f0; class 2 unseen, excluded
    assertThat(m.values().get("macro_f1")).isEqualTo(0.5);
    // micro: tp2 fp0 fn1 -> p1 r2/3 f0.8
    assertThat(m.values().get("micro_f1")).isCloseTo(0.8, within(1e-12));
    assertThat(m.primary()).isEqualTo("macro_f1");
  }
}
