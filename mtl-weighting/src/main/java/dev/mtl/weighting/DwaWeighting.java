package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

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
    return new LossWeighting() {
      private int epoch = -1;
      private double[] sum;
      private long count;
      private double[] previous;
      private double[] beforePrevious;
      private double[] current;

      @Override
      public double[] weights(WeightingInput input) {
        int n = input.tasks().size();
        if (input.epoch() != epoch) {
          if (sum != null && count > 0) {
            beforePrevious = previous;
            previous = new double[n];
            for (int t = 0; t < n; t++) {
              previous[t] = sum[t] / count;
            }
          }
          epoch = input.epoch();
          sum = new double[n];
          count = 0;
          current = beforePrevious == null ? Matrices.filled(n, 1) : descentWeights(previous, beforePrevious, temperature);
        }
        for (int t = 0; t < n; t++) {
          sum[t] += input.losses()[t];
        }
        count++;
        return current.clone();
      }
    };
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
