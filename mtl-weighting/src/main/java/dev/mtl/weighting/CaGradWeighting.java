package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * CAGrad, conflict-averse gradient descent (Liu et al., "Conflict-Averse Gradient Descent for
 * Multi-task Learning", NeurIPS 2021): the update d maximises the worst task's improvement
 * {@code min_i ⟨g_i, d⟩} within a ball around the average gradient g0,
 * {@code ‖d − g0‖ ≤ c‖g0‖}. Through its dual: {@code w = argmin_{w ∈ simplex} g_wᵀg0 +
 * c‖g0‖·‖g_w‖} with {@code g_w = Σ w_i g_i}, then {@code d = g0 + (c‖g0‖/‖g_w‖) g_w}, divided by
 * {@code 1 + c²} as in the authors' code ({@code rescale: false} keeps d as is). Weights are
 * non-negative; c = 0 is the plain average.
 *
 * <pre>
 * weighting: {type: cagrad, c: 0.4, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class CaGradWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "cagrad";
  }

  @Override
  public String description() {
    return "best worst-task improvement near the average gradient (Liu et al. 2021), c: 0.4";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double c = settings.number("c", 0.4, 0, 100);
    boolean rescale = settings.bool("rescale", true);
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return conflictAverse(gramian, c, rescale);
      }
    };
  }

  static double[] conflictAverse(double[][] gramian, double c, boolean rescale) {
    int n = gramian.length;
    double[] average = Matrices.filled(n, 1.0 / n);
    double g0Norm = Math.sqrt(Math.max(Matrices.quadratic(gramian, average), 0));
    double radius = c * g0Norm;
    double[] w = dualSolution(gramian, average, radius);
    double gwNorm = Math.sqrt(Math.max(Matrices.quadratic(gramian, w), 0));
    double lambda = gwNorm > 0 ? radius / gwNorm : 0;
    double scale = rescale ? 1 / (1 + c * c) : 1;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = (average[i] + lambda * w[i]) * scale;
    }
    return out;
  }

  /** Projected gradient descent with backtracking on the convex dual over the simplex. */
  private static double[] dualSolution(double[][] gramian, double[] average, double radius) {
    int n = gramian.length;
    double[] b = Matrices.times(gramian, average);
    double[] w = average.clone();
    double smoothing = 1e-12 * Matrices.trace(gramian);
    double value = dual(gramian, b, radius, w, smoothing);
    double step = 1 / Math.max(Matrices.trace(gramian), Double.MIN_NORMAL);
    for (int iteration = 0; iteration < 2000; iteration++) {
      double[] gw = Matrices.times(gramian, w);
      double norm = Math.sqrt(Math.max(Matrices.dot(w, gw), 0) + smoothing);
      double[] gradient = new double[n];
      for (int i = 0; i < n; i++) {
        gradient[i] = b[i] + radius * gw[i] / norm;
      }
      double[] next;
      double nextValue;
      while (true) {
        double[] trial = new double[n];
        for (int i = 0; i < n; i++) {
          trial[i] = w[i] - step * gradient[i];
        }
        next = Matrices.projectToSimplex(trial);
        nextValue = dual(gramian, b, radius, next, smoothing);
        double[] move = new double[n];
        for (int i = 0; i < n; i++) {
          move[i] = next[i] - w[i];
        }
        // Sufficient decrease for a step of length 1/step (the standard projected-gradient test).
        if (nextValue <= value + Matrices.dot(gradient, move) + Matrices.dot(move, move) / (2 * step) || step < 1e-30) {
          break;
        }
        step /= 2;
      }
      double change = 0;
      for (int i = 0; i < n; i++) {
        change = Math.max(change, Math.abs(next[i] - w[i]));
      }
      w = next;
      value = nextValue;
      step *= 1.5;
      if (change < 1e-12) {
        break;
      }
    }
    return w;
  }

  private static double dual(double[][] gramian, double[] b, double radius, double[] w, double smoothing) {
    return Matrices.dot(w, b) + radius * Math.sqrt(Math.max(Matrices.quadratic(gramian, w), 0) + smoothing);
  }
}
