package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * UPGrad: each task gradient projected onto the dual cone of all task gradients (the directions
 * that conflict with none), then averaged (Quinton and Rey, "Jacobian Descent for Multi-Objective
 * Optimization", 2024). In Gramian form the projection of g_i is {@code Jᵀv} with
 * {@code v = argmin_{v ≥ e_i} vᵀGv}; the weights are the mean of those v, all non-negative, and
 * the update has a non-negative inner product with every task gradient.
 *
 * <pre>
 * weighting: {type: upgrad, gramian: representation}   # or parameters
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class UpGradWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "upgrad";
  }

  @Override
  public String description() {
    return "task gradients projected onto the dual cone, averaged (Quinton & Rey 2024)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return averagedProjections(gramian);
      }
    };
  }

  /** The weights of the projection of task {@code i}'s gradient onto the dual cone. */
  static double[] projection(double[][] gramian, int i) {
    int n = gramian.length;
    double[] lower = new double[n];
    lower[i] = 1;
    return Matrices.minimizeQuadratic(gramian, new double[n], lower, false);
  }

  static double[] averagedProjections(double[][] gramian) {
    int n = gramian.length;
    double[] sum = new double[n];
    for (int i = 0; i < n; i++) {
      double[] v = projection(gramian, i);
      for (int k = 0; k < n; k++) {
        sum[k] += v[k] / n;
      }
    }
    return sum;
  }
}
