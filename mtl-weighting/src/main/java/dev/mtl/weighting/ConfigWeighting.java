package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * ConFIG, conflict-free inverse gradients (Liu, Chen and Thuerey, "ConFIG: Towards Conflict-free
 * Training of Physics Informed Neural Networks", ICLR 2025): the update's direction is the
 * min-norm {@code v} with the same positive projection on every task's unit gradient
 * ({@code û_iᵀ v = 1}, the pseudo-inverse of the unit gradients applied to the ones vector), so it
 * conflicts with no task and favours none; its length is {@code Σ_i g_iᵀ v̂}, the total the task
 * gradients contribute along it. In Gramian form, with {@code D} the gradient norms and
 * {@code N = D⁻¹GD⁻¹}: {@code a = D⁻¹N⁻¹1}, and the weights are {@code a · (1ᵀGa)/(aᵀGa)}.
 * Linearly dependent task gradients make N singular; such a step falls back to the average.
 *
 * <pre>
 * weighting: {type: config, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ConfigWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "config";
  }

  @Override
  public String description() {
    return "the direction with equal positive projection on every unit task gradient, sized by their sum (ConFIG, Liu et al. 2025)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return conflictFree(gramian);
      }
    };
  }

  static double[] conflictFree(double[][] gramian) {
    int n = gramian.length;
    double[] norm = Matrices.gradientNorms(gramian);
    if (norm == null) {
      return Matrices.filled(n, 1.0 / n);
    }
    double[][] normalized = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        normalized[i][j] = gramian[i][j] / (norm[i] * norm[j]);
      }
    }
    double[] b = Matrices.solve(normalized, Matrices.filled(n, 1));
    if (b == null) {
      return Matrices.filled(n, 1.0 / n);
    }
    double[] a = new double[n];
    for (int t = 0; t < n; t++) {
      a[t] = b[t] / norm[t];
    }
    double[] ga = Matrices.times(gramian, a);
    double length = Matrices.dot(a, ga);
    double along = 0;
    for (double x : ga) {
      along += x;
    }
    if (!(length > 0)) {
      return Matrices.filled(n, 1.0 / n);
    }
    double[] w = new double[n];
    for (int t = 0; t < n; t++) {
      w[t] = a[t] * along / length;
    }
    return w;
  }
}
