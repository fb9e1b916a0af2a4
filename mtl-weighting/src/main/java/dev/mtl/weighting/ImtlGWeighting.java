package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;

/**
 * IMTL-G, the gradient half of impartial MTL (Liu et al., "Towards Impartial Multi-task
 * Learning", ICLR 2021): the combination {@code d = Σ α_t g_t} with {@code Σ α_t = 1} whose
 * projection onto every task's unit gradient is the same, so no task is favoured. In Gramian form
 * a T x T linear system: {@code (Gα)_1/‖g_1‖ = (Gα)_t/‖g_t‖} for every t, and {@code Σα = 1}.
 * Weights can be negative. A task with a zero gradient, or linearly dependent gradients, make the
 * system singular; such a step falls back to the average (1/T each).
 *
 * <pre>
 * weighting: {type: imtl-g, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ImtlGWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "imtl-g";
  }

  @Override
  public String description() {
    return "equal projection of the update on every task's unit gradient (Liu et al. 2021)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return impartial(gramian);
      }
    };
  }

  static double[] impartial(double[][] gramian) {
    int n = gramian.length;
    double[] norm = Matrices.gradientNorms(gramian);
    if (norm == null) {
      return Matrices.filled(n, 1.0 / n);
    }
    double[][] a = new double[n][n];
    double[] b = new double[n];
    Arrays.fill(a[0], 1);
    b[0] = 1;
    for (int t = 1; t < n; t++) {
      for (int k = 0; k < n; k++) {
        a[t][k] = gramian[0][k] / norm[0] - gramian[t][k] / norm[t];
      }
    }
    double[] alpha = Matrices.solve(a, b);
    return alpha == null ? Matrices.filled(n, 1.0 / n) : alpha;
  }
}
