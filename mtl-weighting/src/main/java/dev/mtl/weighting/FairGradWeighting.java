package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * FairGrad (Ban and Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024): the update
 * allocates progress among tasks by α-fairness, the positive w with {@code (Gw)_i = w_i^(−1/α)} for
 * every task: α = 1 is proportional fairness (the Nash bargaining condition of Nash-MTL), larger
 * α moves toward max-min fairness (the slowest task first). That w minimises the strictly convex
 * {@code ½wᵀGw − Σ φ(w_i)} with {@code φ(w) = w^(1−1/α)/(1−1/α)} ({@code log w} at α = 1), solved by
 * Newton's method with a backtracking line search (the authors use a least-squares solver on the
 * same equations). The Gramian is used as measured, as in their code, with a ridge of 1e-9 of its
 * trace so linearly dependent gradients keep w finite. Weights are positive.
 *
 * <pre>
 * weighting: {type: fairgrad, alpha: 1.0, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class FairGradWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "fairgrad";
  }

  @Override
  public String description() {
    return "α-fair allocation of progress among tasks, (Gw)_i = w_i^(-1/α) (FairGrad, Ban & Ji 2024)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double alpha = settings.number("alpha", 1.0, 0.01, 100);
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return fair(Matrices.plusIdentity(gramian, 1e-9 * Matrices.trace(gramian)), alpha);
      }
    };
  }

  /** The positive w with {@code (Gw)_i = w_i^(−1/α)}, for a positive definite G. */
  static double[] fair(double[][] g, double alpha) {
    int n = g.length;
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = 1 / Math.sqrt(g[i][i]);
    }
    for (int iteration = 0; iteration < 100; iteration++) {
      double[] gw = Matrices.times(g, w);
      double[] gradient = new double[n];
      double[][] hessian = new double[n][n];
      double worst = 0;
      for (int i = 0; i < n; i++) {
        double power = Math.pow(w[i], -1 / alpha);
        gradient[i] = gw[i] - power;
        worst = Math.max(worst, Math.abs(gradient[i]) / power);
        for (int j = 0; j < n; j++) {
          hessian[i][j] = g[i][j] + (i == j ? power / (alpha * w[i]) : 0);
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
      double before = objective(g, w, alpha);
      double step = 1;
      double[] next = new double[n];
      while (step > 1e-20) {
        boolean positive = true;
        for (int i = 0; i < n; i++) {
          next[i] = w[i] + step * direction[i];
          positive &= next[i] > 0;
        }
        if (positive && objective(g, next, alpha) <= before + 1e-4 * step * Matrices.dot(gradient, direction)) {
          break;
        }
        step /= 2;
      }
      w = next.clone();
    }
    return w;
  }

  private static double objective(double[][] g, double[] w, double alpha) {
    double sum = Matrices.quadratic(g, w) / 2;
    for (double x : w) {
      sum -= alpha == 1 ? Math.log(x) : Math.pow(x, 1 - 1 / alpha) / (1 - 1 / alpha);
    }
    return sum;
  }
}
