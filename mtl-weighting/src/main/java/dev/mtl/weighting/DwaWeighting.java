package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Dynamic weight average (Liu, Johns and Davison, "End-to-End Multi-Task Learning with
 * Attention", CVPR 2019): a task whose loss fell least over the last epoch gets more weight,
 * {@code w_t = T · softmax_t(r_t / τ)} with {@code r_t = L̄_t(e−1) / L̄_t(e−2)}, the ratio of the
 * task's mean training loss in the two previous epochs. The first two epochs use weight 1.
 *
 * <pre>
 * weighting: {type: dwa, temperature: 2.0}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class DwaWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "dwa";
  }

  @Override
  public String description() {
    return "weights from each task's loss-descent rate over the last epochs (Liu et al. 2019)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double temperature = settings.number("temperature", 2.0, 1e-6, 1e6);
    int n = taskNames.size();
    return new LossWeighting() {
      private int epoch = -1;
      // Per run task: with task sampling a step may train only some tasks, so means are per task.
      private double[] sum = new double[n];
      private int[] count = new int[n];
      private double[] previous = Matrices.filled(n, Double.NaN);
      private double[] beforePrevious = Matrices.filled(n, Double.NaN);
      private double[] current = Matrices.filled(n, 1);

      @Override
      public double[] weights(WeightingInput input) {
        if (input.epoch() != epoch) {
          if (epoch >= 0) {
            beforePrevious = previous;
            previous = new double[n];
            for (int k = 0; k < n; k++) {
              previous[k] = count[k] > 0 ? sum[k] / count[k] : Double.NaN;
            }
          }
          epoch = input.epoch();
          sum = new double[n];
          count = new int[n];
          current = epochWeights(previous, beforePrevious, temperature);
        }
        double[] w = new double[input.tasks().size()];
        for (int t = 0; t < w.length; t++) {
          int k = TaskIndex.of(taskNames, input.tasks().get(t));
          sum[k] += input.losses()[t];
          count[k]++;
          w[t] = current[k];
        }
        return w;
      }

      @Override
      public Map<String, double[]> state() {
        return Map.of("epoch", new double[] {epoch}, "sum", sum.clone(),
            "count", Arrays.stream(count).asDoubleStream().toArray(), "previous", previous.clone(),
            "before-previous", beforePrevious.clone(), "current", current.clone());
      }

      @Override
      public void restore(Map<String, double[]> state) {
        epoch = (int) state.get("epoch")[0];
        sum = state.get("sum").clone();
        count = Arrays.stream(state.get("count")).mapToInt(x -> (int) x).toArray();
        previous = state.get("previous").clone();
        beforePrevious = state.get("before-previous").clone();
        current = state.get("current").clone();
      }
    };
  }

  /** Descent weights for tasks with a mean loss in both earlier epochs; weight 1 for the others. */
  static double[] epochWeights(double[] last, double[] beforeLast, double temperature) {
    int n = last.length;
    int[] known = IntStream.range(0, n)
        .filter(k -> Double.isFinite(last[k]) && Double.isFinite(beforeLast[k])).toArray();
    double[] out = Matrices.filled(n, 1);
    if (known.length == 0) {
      return out;
    }
    double[] descent = descentWeights(Arrays.stream(known).mapToDouble(k -> last[k]).toArray(),
        Arrays.stream(known).mapToDouble(k -> beforeLast[k]).toArray(), temperature);
    for (int i = 0; i < known.length; i++) {
      out[known[i]] = descent[i];
    }
    return out;
  }

  static double[] descentWeights(double[] last, double[] beforeLast, double temperature) {
    int n = last.length;
    double[] z = new double[n];
    double max = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < n; t++) {
      z[t] = last[t] / Math.max(beforeLast[t], 1e-12) / temperature;
      max = Math.max(max, z[t]);
    }
    double total = 0;
    for (int t = 0; t < n; t++) {
      z[t] = Math.exp(z[t] - max);
      total += z[t];
    }
    for (int t = 0; t < n; t++) {
      z[t] = n * z[t] / total;
    }
    return z;
  }
}
