package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of a loss weighting: one finite weight per task, every step, for three tasks and
 * for one; non-negative unless the method says otherwise ({@link #promisesNonNegativeWeights()}).
 * Weightings that need a Gramian get a real one (of three explicit gradients, one conflicting).
 */
public abstract class LossWeightingContract extends PluginContract<LossWeightingProvider> {
  protected static final List<String> TASKS = List.of("a", "b", "c");

  /** Settings of a valid weighting for tasks a, b and c; empty by default. */
  protected Map<String, Object> settings() {
    return Map.of();
  }

  /** False for methods whose weights can be negative (e.g. PCGrad, IMTL-G, Aligned-MTL). */
  protected boolean promisesNonNegativeWeights() {
    return true;
  }

  /** The Gramian of g1 = (2, 0, 0), g2 = (0.5, 3, 0), g3 = (-1, 0, 0.5); g3 conflicts with g1 and g2. */
  protected static final double[][] GRAMIAN = {{4, 1, -2}, {1, 9.25, -0.5}, {-2, -0.5, 1.25}};

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
  @DisplayName("gives one finite weight per task over many steps and epochs, non-negative where promised")
  void weightsAreValid() {
    LossWeighting weighting = create();
    for (int step = 0; step < 40; step++) {
      double[] losses = {1.0 / (step + 1), 2.0, 0.5 + step};
      Optional<double[][]> g = weighting.need() == GradientNeed.LOSSES_ONLY ? Optional.empty() : Optional.of(GRAMIAN);
      double[] w = weighting.weights(new WeightingInput(step, step / 5, TASKS, losses, g));
      assertThat(w).hasSize(TASKS.size());
      for (double x : w) {
        assertThat(x).isFinite();
        if (promisesNonNegativeWeights()) {
          assertThat(x).isGreaterThanOrEqualTo(0);
        }
      }
    }
  }

  @Test
  @DisplayName("a fresh instance given the saved state() continues exactly (checkpoint and resume)")
  void stateRoundTrip() {
    LossWeighting original = create();
    List<WeightingInput> inputs = new ArrayList<>();
    for (int step = 0; step < 30; step++) {
      double[] losses = {1.0 / (step + 1), 2.0 + step % 3, 0.5 + step};
      Optional<double[][]> g = original.need() == GradientNeed.LOSSES_ONLY ? Optional.empty() : Optional.of(GRAMIAN);
      inputs.add(new WeightingInput(step, step / 6, TASKS, losses, g));
    }
    for (int step = 0; step < 15; step++) {
      original.weights(inputs.get(step));
    }
    LossWeighting resumed = create();
    resumed.restore(original.state());
    for (int step = 15; step < 30; step++) {
      assertThat(resumed.weights(inputs.get(step))).as("step %d", step).containsExactly(original.weights(inputs.get(step)));
    }
  }

  @Test
  @DisplayName("works for a run with a single task")
  void singleTask() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    LossWeighting weighting = plugin().create(section, List.of("a"));
    for (int step = 0; step < 5; step++) {
      Optional<double[][]> g = weighting.need() == GradientNeed.LOSSES_ONLY ? Optional.empty() : Optional.of(new double[][] {{2.5}});
      double[] w = weighting.weights(new WeightingInput(step, 0, List.of("a"), new double[] {0.7}, g));
      assertThat(w).hasSize(1);
      assertThat(w[0]).isFinite().isPositive();
    }
  }
}
