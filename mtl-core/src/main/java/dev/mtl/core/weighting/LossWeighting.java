package dev.mtl.core.weighting;

import java.util.Map;

/**
 * Turns per-task losses (and, when asked for, the Gramian of per-task gradients) into task
 * weights. The engine then back-propagates {@code sum_t w_t * L_t} once. Plain Java over small
 * arrays: no engine types, so every weighting runs on every engine and is unit-testable with
 * hand-worked numbers.
 */
public interface LossWeighting {
  /** What the engine must compute before {@link #weights}; losses only unless overridden. */
  default GradientNeed need() {
    return GradientNeed.LOSSES_ONLY;
  }

  /** One weight per task, in the order of {@link WeightingInput#tasks()}. */
  double[] weights(WeightingInput input);

  /**
   * What this weighting has learned or accumulated (learned weights, running averages), saved with
   * checkpoints so a resumed run continues exactly; empty for weightings without state.
   */
  default Map<String, double[]> state() {
    return Map.of();
  }

  /** Restores what {@link #state()} returned. */
  default void restore(Map<String, double[]> state) {}
}
