package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * MGDA: the minimum-norm point of the convex hull of the task gradients, a common descent direction
 * for every task (Désidéri, 2012; Sener and Koltun, "Multi-Task Learning as Multi-Objective
 * Optimization", NeurIPS 2018; measured on the representation it is their MGDA-UB). Weights are
 * {@code argmin_{α ∈ simplex} αᵀGα}, non-negative and summing to 1, solved exactly.
 *
 * <pre>
 * weighting: {type: mgda, gramian: representation}   # or parameters
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class MgdaWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "mgda";
  }

  @Override
  public String description() {
    return "min-norm point of the convex hull of task gradients (Sener & Koltun 2018)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return minNormWeights(gramian);
      }
    };
  }

  static double[] minNormWeights(double[][] gramian) {
    int n = gramian.length;
    return Matrices.minimizeQuadratic(gramian, new double[n], new double[n], true);
  }
}
