package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Coordinate-wise trimmed mean (Yin, Chen, Ramchandran and Bartlett, "Byzantine-Robust Distributed
 * Learning: Towards Optimal Statistical Rates", ICML 2018; torchjd's {@code TrimmedMean}): at every
 * coordinate of the shared representation's gradient, the {@code trim} largest and {@code trim}
 * smallest task values are dropped and the rest averaged, so no single task's extreme gradient
 * moves a coordinate. Needs more than {@code 2·trim} tasks; a step over fewer (task sampling) trims
 * as many as it can. The heads get their own losses' gradients (weight 1).
 *
 * <pre>
 * weighting: {type: trimmed-mean, trim: 1}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class TrimmedMeanWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "trimmed-mean";
  }

  @Override
  public String description() {
    return "coordinate-wise mean of the task gradients without the trim largest and smallest (trimmed mean, Yin et al. 2018)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    int trim = settings.integer("trim", 1, 0, Integer.MAX_VALUE);
    if (taskNames.size() > 1 && taskNames.size() <= 2 * trim) {
      settings.problem("trim", trim, "leaves no task gradient to average: it needs more than 2·trim tasks, and this run has "
          + taskNames.size() + " (" + taskNames + "); lower it (`trim: 0` is the plain mean)");
    }
    return new RepresentationWeighting() {
      @Override
      public Optional<float[]> combine(WeightingInput input, double[] weights) {
        RepresentationGradients g = gradients(input, "trimmed-mean");
        return Optional.of(trimmedMean(g.byTask(), Math.min(trim, (g.byTask().size() - 1) / 2)));
      }
    };
  }

  /** Each coordinate's mean over the tasks without its {@code trim} largest and smallest values. */
  static float[] trimmedMean(List<float[]> byTask, int trim) {
    int tasks = byTask.size();
    int length = byTask.get(0).length;
    float[] out = new float[length];
    double[] column = new double[tasks];
    for (int k = 0; k < length; k++) {
      for (int t = 0; t < tasks; t++) {
        column[t] = byTask.get(t)[k];
      }
      Arrays.sort(column);
      double sum = 0;
      for (int t = trim; t < tasks - trim; t++) {
        sum += column[t];
      }
      out[k] = (float) (sum / (tasks - 2 * trim));
    }
    return out;
  }
}
