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
 * STCH, smooth Tchebycheff scalarization (Lin et al., "Smooth Tchebycheff Scalarization for
 * Multi-Objective Optimization", ICML 2024), as LibMTL applies it to multi-task learning. During
 * the first {@code warmup-epochs} the objective is {@code Σ log L_t} (weights {@code 1/L_t}), and
 * the last warm-up epoch's mean loss of each task becomes its nadir {@code n_t}. After that the
 * objective is {@code T μ log Σ_t exp(log(L_t/n_t)/μ)}, a smooth maximum of the normalised
 * log-losses: the weights are {@code w_t = T softmax_t(log(L_t/n_t)/μ) / L_t}, so the task furthest
 * behind its nadir gets most of the step (all of it as μ → 0; μ = 1 gives {@code w_t L_t ∝ L_t/n_t}).
 * Σ w_t L_t = T in both phases. The nadir is saved with checkpoints.
 *
 * <pre>
 * weighting: {type: stch, mu: 1.0, warmup-epochs: 1}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class StchWeighting implements LossWeightingProvider {
  private static final double FLOOR = 1e-20;

  @Override
  public String name() {
    return "stch";
  }

  @Override
  public String description() {
    return "smooth maximum of the log-losses normalised by a warm-up nadir (STCH, Lin et al. 2024)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double mu = settings.number("mu", 1.0, 1e-3, 100);
    int warmup = settings.integer("warmup-epochs", 1, 1, 1000);
    int n = taskNames.size();
    return new LossWeighting() {
      private final double[] sum = new double[n];
      private final double[] count = new double[n];

      @Override
      public double[] weights(WeightingInput input) {
        int size = input.tasks().size();
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] losses = TaskIndex.flooredLosses(input, FLOOR);
        double[] w = new double[size];
        boolean nadirKnown = true;
        for (int k : index) {
          nadirKnown &= count[k] > 0;
        }
        if (input.epoch() < warmup || !nadirKnown) {
          for (int t = 0; t < size; t++) {
            w[t] = 1 / losses[t];
            if (input.epoch() == warmup - 1) {
              sum[index[t]] += losses[t];
              count[index[t]]++;
            }
          }
          return w;
        }
        double[] logits = new double[size];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < size; t++) {
          logits[t] = Math.log(losses[t] / (sum[index[t]] / count[index[t]])) / mu;
          max = Math.max(max, logits[t]);
        }
        double total = 0;
        for (int t = 0; t < size; t++) {
          logits[t] = Math.exp(logits[t] - max);
          total += logits[t];
        }
        for (int t = 0; t < size; t++) {
          w[t] = size * (logits[t] / total) / losses[t];
        }
        return w;
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("nadir-sum", sum.clone());
        state.put("nadir-count", count.clone());
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("nadir-sum"), 0, sum, 0, n);
        System.arraycopy(state.get("nadir-count"), 0, count, 0, n);
      }
    };
  }
}
