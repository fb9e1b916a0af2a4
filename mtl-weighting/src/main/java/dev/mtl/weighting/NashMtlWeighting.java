package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * Nash-MTL: the update as the Nash bargaining solution among tasks (Navon et al., "Multi-Task
 * Learning as a Bargaining Game", ICML 2022), the positive α with {@code (Gα)_i = 1/α_i} for every
 * task. That is exactly the minimiser of the strictly convex {@code ½αᵀGα − Σ log α_i}, which is
 * solved here by Newton's method (the authors iterate convex approximations with cvxpy). As in
 * their code the Gramian is first divided by its norm; a ridge of 1e-4 on that keeps α finite
 * when task gradients are linearly dependent. Weights are positive.
 *
 * <pre>
 * weighting: {type: nash-mtl, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class NashMtlWeighting implements LossWeightingProvider {
  static final double RIDGE = 1e-4;

  @Override
  public String name() {
    return "nash-mtl";
  }

  @Override
  public String description() {
    return "Nash bargaining solution among task gradients (Navon et al. 2022)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return bargain(gramian);
      }
    };
  }

  /** The Gramian as the solver sees it: divided by its norm, plus the ridge. */
  static double[][] normalized(double[][] gramian) {
    return Matrices.plusIdentity(Matrices.scaled(gramian, 1 / Matrices.frobenius(gramian)), RIDGE);
  }

  static double[] bargain(double[][] gramian) {
    double[][] g = normalized(gramian);
    int n = g.length;
    double[] alpha = new double[n];
    for (int i = 0; i < n; i++) {
      alpha[i] = 1 / Math.sqrt(g[i][i]);
    }
    for (int iteration = 0; iteration < 100; iteration++) {
      double[] ga = Matrices.times(g, alpha);
      double[] gradient = new double[n];
      double[][] hessian = new double[n][n];
      double worst = 0;
      for (int i = 0; i < n; i++) {
        gradient[i] = ga[i] - 1 / alpha[i];
        worst = Math.max(worst, Math.abs(gradient[i] * alpha[i]));
        for (int j = 0; j < n; j++) {
          hessian[i][j] = g[i][j] + (i == j ? 1 / (alpha[i] * alpha[i]) : 0);
        }
      }
      if (worst < 1e-12) {
        break;
      }
      double[] minusGradient = new double[n];
      for (int i = 0; i < n; i++) {
        minusGradient[i] = -gradient[i];
      }
      double[] direction = Matrices.solve(hessian, minusGradient);
      if (direction == null) {
        break;
      }
      double before = objective(g, alpha);
      double step = 1;
      double[] next = new double[n];
      while (step > 1e-20) {
        boolean positive = true;
        for (int i = 0; i < n; i++) {
          next[i] = alpha[i] + step * direction[i];
          positive &= next[i] > 0;
        }
        if (positive && objective(g, next) <= before + 1e-4 * step * Matrices.dot(gradient, direction)) {
          break;
        }
        step /= 2;
      }
      alpha = next.clone();
    }
    return alpha;
  }

  private static double objective(double[][] g, double[] alpha) {
    double sum = Matrices.quadratic(g, alpha) / 2;
    for (double a : alpha) {
      sum -= Math.log(a);
    }
    return sum;
  }
}
