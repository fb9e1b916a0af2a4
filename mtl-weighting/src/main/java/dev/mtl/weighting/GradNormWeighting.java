package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * GradNorm (Chen et al., "GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep
 * Multitask Networks", ICML 2018): learned weights w_t that pull each task's weighted gradient norm
 * {@code G_t = w_t‖g_t‖} towards {@code Ḡ · r_t^α}, where Ḡ is the mean norm and
 * {@code r_t = (L_t/L_t(0)) / mean_k(L_k/L_k(0))} is the task's relative inverse training rate.
 * The weights follow Adam on {@code Σ_t |G_t − Ḡ r_t^α|} (target held constant, as in the paper)
 * and are renormalised to sum to T after every step. Norms come from the Gramian's diagonal, so
 * GradNorm works on the shared representation or on the shared parameters.
 *
 * <pre>
 * weighting: {type: gradnorm, alpha: 1.5, learning-rate: 0.025, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class GradNormWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "gradnorm";
  }

  @Override
  public String description() {
    return "learned weights that balance gradient norms by training rate (Chen et al. 2018), alpha: 1.5";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double alpha = settings.number("alpha", 1.5, 0, 100);
    double learningRate = settings.number("learning-rate", 0.025, 1e-8, 10);
    return new GramianWeighting(GramianOption.read(settings)) {
      private double[] w;
      private double[] initialLoss;
      private ScalarAdam adam;

      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        int n = gramian.length;
        if (w == null) {
          w = Matrices.filled(n, 1);
          initialLoss = input.losses().clone();
          adam = new ScalarAdam(n, learningRate);
        }
        double[] used = w.clone();
        adam.step(w, normGradient(used, gramian, input.losses(), initialLoss, alpha));
        renormalize(w);
        return used;
      }
    };
  }

  /** ∂/∂w_t of {@code Σ_t |w_t‖g_t‖ − Ḡ r_t^α|} with the target held constant. */
  static double[] normGradient(double[] w, double[][] gramian, double[] losses, double[] initialLoss, double alpha) {
    int n = w.length;
    double[] norm = new double[n];
    double[] rate = new double[n];
    double meanNorm = 0;
    double meanRate = 0;
    for (int t = 0; t < n; t++) {
      norm[t] = Math.sqrt(Math.max(gramian[t][t], 0));
      meanNorm += w[t] * norm[t] / n;
      rate[t] = losses[t] / Math.max(initialLoss[t], 1e-12);
      meanRate += rate[t] / n;
    }
    double[] gradient = new double[n];
    for (int t = 0; t < n; t++) {
      double target = meanNorm * Math.pow(rate[t] / Math.max(meanRate, 1e-12), alpha);
      gradient[t] = Math.signum(w[t] * norm[t] - target) * norm[t];
    }
    return gradient;
  }

  /** Keeps weights positive and summing to T, as the paper does after each update. */
  static void renormalize(double[] w) {
    double total = 0;
    for (int t = 0; t < w.length; t++) {
      w[t] = Math.max(w[t], 1e-3);
      total += w[t];
    }
    for (int t = 0; t < w.length; t++) {
      w[t] *= w.length / total;
    }
  }
}
