package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The contract of a loss weighting: one finite, non-negative weight per task, every step. */
public abstract class LossWeightingContract extends PluginContract<LossWeightingProvider> {
  protected static final List<String> TASKS = List.of("a", "b", "c");

  /** Settings of a valid weighting for tasks a, b and c; empty by default. */
  protected Map<String, Object> settings() {
    return Map.of();
  }

  @Override
  protected final Class<LossWeightingProvider> pluginInterface() {
    return LossWeightingProvider.class;
  }

  protected LossWeighting create() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    LossWeighting weighting = plugin().create(section, TASKS);
    assertThat(section.source().problems()).isEmpty();
    return weighting;
  }

  @Test
  @DisplayName("gives one finite non-negative weight per task over many steps")
  void weightsAreValid() {
    LossWeighting weighting = create();
    double[][] gramian = {{4, 1, -2}, {1, 9, 0}, {-2, 0, 1}};
    for (int step = 0; step < 20; step++) {
      double[] losses = {1.0 / (step + 1), 2.0, 0.5 + step};
      Optional<double[][]> g = weighting.need() == GradientNeed.LOSSES_ONLY ? Optional.empty() : Optional.of(gramian);
      double[] w = weighting.weights(new WeightingInput(step, step / 5, TASKS, losses, g));
      assertThat(w).hasSize(TASKS.size());
      for (double x : w) {
        assertThat(x).isFinite().isGreaterThanOrEqualTo(0);
      }
    }
  }
}
