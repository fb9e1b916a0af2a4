package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    int runTasks = taskNames.size();
    return new GramianWeighting(GramianOption.read(settings)) {
      // Per run task: with task sampling a step may train only some tasks.
      private final double[] w = Matrices.filled(runTasks, 1);
      private final double[] initialLoss = Matrices.filled(runTasks, Double.NaN);
      private final ScalarAdam adam = new ScalarAdam(runTasks, learningRate);

      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        int n = gramian.length;
        int[] index = new int[n];
        double[] used = new double[n];
        double[] initial = new double[n];
        for (int t = 0; t < n; t++) {
          index[t] = TaskIndex.of(taskNames, input.tasks().get(t));
          if (Double.isNaN(initialLoss[index[t]])) {
            initialLoss[index[t]] = input.losses()[t];
          }
          used[t] = w[index[t]];
          initial[t] = initialLoss[index[t]];
        }
        double[] gradient = normGradient(used, gramian, input.losses(), initial, alpha);
        for (int t = 0; t < n; t++) {
          adam.step(w, index[t], gradient[t]);
        }
        // Renormalise the weights of this step's tasks to sum to their number, as the paper does.
        double[] present = new double[n];
        for (int t = 0; t < n; t++) {
          present[t] = w[index[t]];
        }
        renormalize(present);
        for (int t = 0; t < n; t++) {
          w[index[t]] = present[t];
        }
        return used;
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("weights", w.clone());
        state.put("initial-loss", initialLoss.clone());
        adam.saveTo(state, "adam.");
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("weights"), 0, w, 0, w.length);
        System.arraycopy(state.get("initial-loss"), 0, initialLoss, 0, initialLoss.length);
        adam.restoreFrom(state, "adam.");
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
