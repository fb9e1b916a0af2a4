package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FAMO, fast adaptive multitask optimization (Liu, Liu, Stone and Liu, "FAMO: Fast Adaptive
 * Multitask Optimization", NeurIPS 2023): balances how fast the tasks' log-losses fall, at the cost
 * of the losses alone. Task logits ξ give {@code z = softmax(ξ)}; the step descends
 * {@code Σ z_t log L_t}, i.e. weights {@code w_t = (z_t / L_t) / Σ_k z_k / L_k}. After each step the
 * decrease of every log-loss, {@code δ_t = log L_t(before) − log L_t(after)}, moves ξ against
 * {@code ∂zᵀδ/∂ξ = z ⊙ (δ − zᵀδ)} by Adam with weight decay γ: a task whose loss fell fastest loses
 * weight, one that lagged gains it. A step that trains a different set of tasks than the one before
 * (task sampling) has no decrease to compare and leaves ξ as it is. ξ and Adam are saved with
 * checkpoints.
 *
 * <pre>
 * weighting: {type: famo, learning-rate: 0.025, gamma: 0.001}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class FamoWeighting implements LossWeightingProvider {
  private static final double FLOOR = 1e-8;

  @Override
  public String name() {
    return "famo";
  }

  @Override
  public String description() {
    return "weights that balance how fast the log-losses fall, from the losses alone (FAMO, Liu et al. 2023)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double learningRate = settings.number("learning-rate", 0.025, 1e-8, 10);
    double gamma = settings.number("gamma", 0.001, 0, 10);
    int n = taskNames.size();
    double[] logits = new double[n];
    ScalarAdam adam = new ScalarAdam(n, learningRate);
    return new LossWeighting() {
      /** The previous step's losses by task index, NaN where the task did not train then. */
      private double[] previous = filled(n, Double.NaN);

      @Override
      public double[] weights(WeightingInput input) {
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] losses = TaskIndex.flooredLosses(input, FLOOR);
        learn(index, losses);
        double[] z = softmax(logits, index);
        double total = 0;
        double[] w = new double[index.length];
        for (int t = 0; t < w.length; t++) {
          w[t] = z[t] / losses[t];
          total += w[t];
        }
        for (int t = 0; t < w.length; t++) {
          w[t] /= total;
        }
        previous = filled(n, Double.NaN);
        for (int t = 0; t < index.length; t++) {
          previous[index[t]] = losses[t];
        }
        return w;
      }

      /** One Adam step on ξ from the log-loss decreases since the previous step, when it trained the same tasks. */
      private void learn(int[] index, double[] losses) {
        int known = 0;
        for (double p : previous) {
          known += Double.isNaN(p) ? 0 : 1;
        }
        if (known != index.length) {
          return;
        }
        double[] delta = new double[index.length];
        for (int t = 0; t < index.length; t++) {
          if (Double.isNaN(previous[index[t]])) {
            return;
          }
          delta[t] = Math.log(previous[index[t]]) - Math.log(losses[t]);
        }
        double[] z = softmax(logits, index);
        double mean = 0;
        for (int t = 0; t < z.length; t++) {
          mean += z[t] * delta[t];
        }
        for (int t = 0; t < z.length; t++) {
          int k = index[t];
          adam.step(logits, k, z[t] * (delta[t] - mean) + gamma * logits[k]);
        }
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("logits", logits.clone());
        state.put("previous", previous.clone());
        adam.saveTo(state, "adam.");
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("logits"), 0, logits, 0, n);
        previous = state.get("previous").clone();
        adam.restoreFrom(state, "adam.");
      }
    };
  }

  /** softmax over the logits of the given task indices. */
  static double[] softmax(double[] logits, int[] index) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k : index) {
      max = Math.max(max, logits[k]);
    }
    double[] z = new double[index.length];
    double total = 0;
    for (int t = 0; t < index.length; t++) {
      z[t] = Math.exp(logits[index[t]] - max);
      total += z[t];
    }
    for (int t = 0; t < z.length; t++) {
      z[t] /= total;
    }
    return z;
  }

  private static double[] filled(int n, double value) {
    double[] out = new double[n];
    Arrays.fill(out, value);
    return out;
  }
}
