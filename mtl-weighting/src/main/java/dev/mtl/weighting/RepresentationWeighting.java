package dev.mtl.weighting;

import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;

/**
 * A weighting that reads the per-task gradients on the shared representation coordinate by
 * coordinate (not only their Gramian), so it works on the representation only. Unless a subclass
 * weighs them, each task's head gets its own loss's gradient (weight 1), as torchjd and LibMTL do
 * for the task-specific parameters of a method that combines the shared gradients itself.
 */
abstract class RepresentationWeighting implements LossWeighting {
  @Override
  public final GradientNeed need() {
    return GradientNeed.GRADIENTS_ON_REPRESENTATION;
  }

  @Override
  public double[] weights(WeightingInput input) {
    return Matrices.filled(input.tasks().size(), 1);
  }

  static RepresentationGradients gradients(WeightingInput input, String method) {
    return input.gradients().orElseThrow(() -> new IllegalStateException(method
        + " needs the per-task gradients on the shared representation, but the engine passed none"));
  }
}
