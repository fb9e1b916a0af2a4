package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * Uncertainty weighting (Kendall, Gal and Cipolla, "Multi-Task Learning Using Uncertainty to Weigh
 * Losses for Scene Geometry and Semantics", CVPR 2018): each task has a learned log-variance s_t
 * and the objective is {@code Σ exp(−s_t) L_t + s_t}. The network sees the weights
 * {@code exp(−s_t)}; the s_t are learned here, by Adam on their exact gradient
 * {@code 1 − exp(−s_t) L_t}, so their optimum is {@code s_t = log L_t}. They start at 0 (weight 1).
 *
 * <pre>
 * weighting: {type: uncertainty, learning-rate: 0.001}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class UncertaintyWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "uncertainty";
  }

  @Override
  public String description() {
    return "learned log-variance per task, weight exp(-s) (Kendall et al. 2018)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double learningRate = settings.number("learning-rate", 0.001, 1e-8, 10);
    return new LossWeighting() {
      private double[] logVariance;
      private ScalarAdam adam;

      @Override
      public double[] weights(WeightingInput input) {
        int n = input.tasks().size();
        if (logVariance == null) {
          logVariance = new double[n];
          adam = new ScalarAdam(n, learningRate);
        }
        double[] w = new double[n];
        double[] gradient = new double[n];
        for (int t = 0; t < n; t++) {
          w[t] = Math.exp(-logVariance[t]);
          gradient[t] = 1 - w[t] * input.losses()[t];
        }
        adam.step(logVariance, gradient);
        return w;
      }
    };
  }
}
