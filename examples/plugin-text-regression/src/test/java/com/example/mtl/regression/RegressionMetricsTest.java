package com.example.mtl.regression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.task.TaskMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RegressionMetricsTest {
  @Test
  @DisplayName("match hand-worked values")
  void handWorked() {
    // pred 1 2 3 4, gold 1 3 2 4: errors 0 1 1 0; centred products 2.25 -0.25 -0.25 2.25 over 5 -> 0.8
    TaskMetrics m = RegressionMetrics.of(new double[] {1, 2, 3, 4}, new double[] {1, 3, 2, 4});
    assertThat(m.values().get("rmse")).isCloseTo(Math.sqrt(0.5), within(1e-12));
    assertThat(m.values().get("mae")).isCloseTo(0.5, within(1e-12));
    assertThat(m.values().get("pearson")).isCloseTo(0.8, within(1e-12));
    assertThat(m.values().get("spearman")).isCloseTo(0.8, within(1e-12));
    assertThat(m.primary()).isEqualTo("pearson");
    assertThat(m.lowerIsBetter()).containsExactlyInAnyOrder("rmse", "mae");
  }

  @Test
  @DisplayName("Spearman gives tied values their average rank")
  void ties() {
    assertThat(RegressionMetrics.ranks(new double[] {1, 1, 2})).containsExactly(1.5, 1.5, 3);
    // ranks 1 2 3 against 1.5 1.5 3: 1.5 / sqrt(2 * 1.5)
    assertThat(RegressionMetrics.of(new double[] {1, 2, 3}, new double[] {1, 1, 2}).values().get("spearman"))
        .isCloseTo(1.5 / Math.sqrt(3), within(1e-12));
  }

  @Test
  @DisplayName("a constant side has correlation 0, not NaN")
  void constant() {
    assertThat(RegressionMetrics.of(new double[] {2, 2}, new double[] {1, 3}).values().get("pearson")).isZero();
  }
}
