package dev.mtl.core.weighting;

import java.util.Map;
import java.util.Optional;

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

  /**
   * True for a weighting that keeps state over all the run's tasks together (a tracked Gramian,
   * risks relative to a first step) and so refuses a step that trains only some of them; such a
   * weighting with a sampler that never trains every data source in one step fails before training.
   */
  default boolean needsEveryTaskEachStep() {
    return false;
  }

  /** One weight per task, in the order of {@link WeightingInput#tasks()}. */
  double[] weights(WeightingInput input);

  /**
   * For weightings whose {@link #need()} is {@link GradientNeed#GRADIENTS_ON_REPRESENTATION}: the
   * gradient the layers below the shared representation receive, {@code rows x width} row-major, in
   * place of {@code Σ_t w_t g_t}; empty (the default) for that weighted sum. Called once per step
   * after {@link #weights}, with the same input; the weights still scale each task's gradient on
   * the parameters above the representation (its head) and are what the run records.
   */
  default Optional<float[]> combine(WeightingInput input, double[] weights) {
    return Optional.empty();
  }

  /**
   * For weightings whose {@link #need()} is {@link GradientNeed#GRAMIAN_WITH_META_BATCH}: weights of
   * the tasks' meta-batch losses, whose gradients the update then adds to {@code Σ_t w_t ∇L_t}
   * (FORUM moves the parameters along the meta losses too); empty (the default) to leave the meta
   * batch out of the update. Called once per step after {@link #weights}, with the same input.
   */
  default Optional<double[]> metaWeights(WeightingInput input, double[] weights) {
    return Optional.empty();
  }

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
