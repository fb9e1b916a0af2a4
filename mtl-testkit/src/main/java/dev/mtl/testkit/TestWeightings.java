package dev.mtl.testkit;

import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.function.Function;

/** Weightings for tests that drive a network directly, without the weighting plugins. */
public final class TestWeightings {
  private TestWeightings() {}

  /** Weight 1 for every task. */
  public static LossWeighting equal() {
    return input -> {
      double[] w = new double[input.tasks().size()];
      Arrays.fill(w, 1);
      return w;
    };
  }

  /**
   * A weighting that asks the engine for {@code need} and computes weights with {@code weights},
   * to drive each of the engine's paths; fails if a Gramian it needs is missing.
   */
  public static LossWeighting needing(GradientNeed need, Function<WeightingInput, double[]> weights) {
    return new LossWeighting() {
      @Override
      public GradientNeed need() {
        return need;
      }

      @Override
      public double[] weights(WeightingInput input) {
        if (need != GradientNeed.LOSSES_ONLY && input.gramian().isEmpty()) {
          throw new AssertionError("the engine passed no Gramian though " + need + " was asked for");
        }
        return weights.apply(input);
      }
    };
  }
}
