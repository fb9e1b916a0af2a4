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
 * IMTL-L, the loss half of impartial MTL (Liu et al., "Towards Impartial Multi-task Learning",
 * ICLR 2021): each task's loss is scaled by a learned {@code e^{s_t}} and the objective is
 * {@code Σ e^{s_t} L_t − s_t}, whose optimum {@code s_t = −log L_t} makes every scaled loss 1: no
 * task dominates by the size of its loss. The network sees the weights {@code e^{s_t}}; the s_t are
 * learned here by Adam on their exact gradient {@code e^{s_t} L_t − 1}, from 0 (weight 1).
 * {@code imtl} combines these scales with IMTL-G.
 *
 * <pre>
 * weighting: {type: imtl-l, learning-rate: 0.001}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ImtlLWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "imtl-l";
  }

  @Override
  public String description() {
    return "learned loss scales e^s making every scaled loss equal (IMTL-L, Liu et al. 2021)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    Scales scales = new Scales(taskNames, settings.number("learning-rate", 0.001, 1e-8, 10));
    return new LossWeighting() {
      @Override
      public double[] weights(WeightingInput input) {
        double[] w = scales.current(input);
        scales.learn(input, w);
        return w;
      }

      @Override
      public Map<String, double[]> state() {
        return scales.state();
      }

      @Override
      public void restore(Map<String, double[]> state) {
        scales.restore(state);
      }
    };
  }

  /** The learned log-scales s_t of a run's tasks and their Adam state. */
  static final class Scales {
    private final List<String> taskNames;
    private final double[] logScale;
    private final ScalarAdam adam;

    Scales(List<String> taskNames, double learningRate) {
      this.taskNames = List.copyOf(taskNames);
      this.logScale = new double[taskNames.size()];
      this.adam = new ScalarAdam(taskNames.size(), learningRate);
    }

    /** {@code e^{s_t}} for the tasks of this step, in its order. */
    double[] current(WeightingInput input) {
      double[] scale = new double[input.tasks().size()];
      for (int t = 0; t < scale.length; t++) {
        scale[t] = Math.exp(logScale[TaskIndex.of(taskNames, input.tasks().get(t))]);
      }
      return scale;
    }

    /** One Adam step on {@code ∂/∂s (e^s L − s) = e^s L − 1} for each task of this step. */
    void learn(WeightingInput input, double[] scale) {
      for (int t = 0; t < scale.length; t++) {
        adam.step(logScale, TaskIndex.of(taskNames, input.tasks().get(t)), scale[t] * input.losses()[t] - 1);
      }
    }

    Map<String, double[]> state() {
      Map<String, double[]> state = new LinkedHashMap<>();
      state.put("log-scale", logScale.clone());
      adam.saveTo(state, "adam.");
      return state;
    }

    void restore(Map<String, double[]> state) {
      System.arraycopy(state.get("log-scale"), 0, logScale, 0, logScale.length);
      adam.restoreFrom(state, "adam.");
    }
  }
}
