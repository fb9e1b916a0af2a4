package dev.mtl.testkit;

import dev.mtl.core.weighting.LossWeighting;
import java.util.Arrays;

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
}
