package dev.mtl.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.task.TaskMetrics;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ModelSelectionTest {
  private static final Map<String, TaskMetrics> DEV = Map.of(
      "cls", new TaskMetrics(Map.of("accuracy", 0.80), "accuracy", 10),
      "reg", new TaskMetrics(Map.of("rmse", 2.0), "rmse", 10, Set.of("rmse")));

  @Test
  @DisplayName("scores: mean of primaries with lower-is-better negated, one task's primary, Δm% on dev")
  void scores() {
    assertThat(new ModelSelection("mean", 0, false).score(DEV, null)).isCloseTo((0.80 - 2.0) / 2, within(1e-12));
    assertThat(new ModelSelection("reg", 0, false).score(DEV, null)).isEqualTo(-2.0);
    assertThat(new ModelSelection("cls", 0, false).score(DEV, null)).isEqualTo(0.80);
    Baselines baselines = new Baselines(Map.of(), Map.of(
        "cls", new TaskMetrics(Map.of("accuracy", 0.50), "accuracy", 10),
        "reg", new TaskMetrics(Map.of("rmse", 4.0), "rmse", 10, Set.of("rmse"))));
    // cls: +60%, reg: rmse 4 → 2 is +50%; Δm = 55%.
    assertThat(new ModelSelection("delta-m", 0, false).score(DEV, baselines)).isCloseTo(55, within(1e-9));
    assertThat(new ModelSelection("delta-m", 0, false).score(DEV, null)).isNaN();
  }
}
