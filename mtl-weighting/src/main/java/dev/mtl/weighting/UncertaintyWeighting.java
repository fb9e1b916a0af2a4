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
    // Indexed by the run's task list: with task sampling a step may train only some tasks.
    double[] logVariance = new double[taskNames.size()];
    ScalarAdam adam = new ScalarAdam(taskNames.size(), learningRate);
    return new LossWeighting() {
      @Override
      public double[] weights(WeightingInput input) {
        double[] w = new double[input.tasks().size()];
        for (int t = 0; t < w.length; t++) {
          int k = TaskIndex.of(taskNames, input.tasks().get(t));
          w[t] = Math.exp(-logVariance[k]);
          adam.step(logVariance, k, 1 - w[t] * input.losses()[t]);
        }
        return w;
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("log-variance", logVariance.clone());
        adam.saveTo(state, "adam.");
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("log-variance"), 0, logVariance, 0, logVariance.length);
        adam.restoreFrom(state, "adam.");
      }
    };
  }
}
