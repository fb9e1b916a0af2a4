package dev.mtl.weighting;

import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;

/**
 * A weighting computed from the Gramian of task gradients, wherever it is measured. A step where
 * every task gradient is zero or the Gramian is not finite carries no direction to balance, so
 * such a step gets equal weights 1/T rather than NaNs.
 */
abstract class GramianWeighting implements LossWeighting {
  private final GradientNeed need;

  GramianWeighting(GradientNeed need) {
    this.need = need;
  }

  @Override
  public final GradientNeed need() {
    return need;
  }

  @Override
  public final double[] weights(WeightingInput input) {
    double[][] gramian = input.gramian().orElseThrow(() -> new IllegalStateException(
        getClass().getSimpleName() + " needs the Gramian of task gradients (" + need + ") but the engine passed none"));
    int n = input.tasks().size();
    if (gramian.length != n) {
      throw new IllegalStateException("a " + gramian.length + " x " + gramian.length + " Gramian for " + n + " tasks");
    }
    double[][] g = Matrices.symmetric(gramian);
    boolean finite = Arrays.stream(g).flatMapToDouble(Arrays::stream).allMatch(Double::isFinite);
    if (!finite || !(Matrices.trace(g) > 0)) {
      return Matrices.filled(n, 1.0 / n);
    }
    return weights(g, input);
  }

  /** Weights from a symmetric, finite Gramian with a positive trace. */
  abstract double[] weights(double[][] gramian, WeightingInput input);
}
