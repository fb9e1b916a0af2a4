package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * (Multi-)Krum (Blanchard et al., "Machine Learning with Adversaries: Byzantine Tolerant Gradient
 * Descent", NeurIPS 2017; torchjd's aggregator): each task gradient is scored by the summed squared
 * distances to its {@code T - f - 2} nearest other gradients ({@code f}: how many may be
 * adversarial, here outlying tasks); the {@code m} best-scored gradients are averaged. In Gramian
 * form {@code ‖g_i - g_j‖² = G_ii + G_jj - 2G_ij}; the weights are {@code 1/m} for the chosen tasks
 * and 0 for the rest, so a task whose gradient is far from the others' does not steer the step.
 * Needs {@code T ≥ f + 3} tasks (a single task keeps weight 1).
 *
 * <pre>
 * weighting: {type: krum, byzantine: 0, selected: 1, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class KrumWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "krum";
  }

  @Override
  public String description() {
    return "average of the task gradients closest to their neighbours (Multi-Krum, Blanchard et al. 2017)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    int tasks = taskNames.size();
    int byzantine = settings.integer("byzantine", 0, 0, Integer.MAX_VALUE);
    int selected = settings.integer("selected", 1, 1, Integer.MAX_VALUE);
    // A single task has nothing to compare: it keeps weight 1.
    if (tasks > 1 && tasks < byzantine + 3) {
      settings.problem("byzantine", byzantine, "needs at least byzantine + 3 tasks to score each gradient by its neighbours; this run"
          + " has " + tasks + " (" + taskNames + ")");
    }
    if (selected > tasks) {
      settings.problem("selected", selected, "cannot exceed the number of tasks, " + tasks);
    }
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return krum(gramian, byzantine, selected);
      }
    };
  }

  static double[] krum(double[][] gramian, int byzantine, int selected) {
    int n = gramian.length;
    int neighbours = Math.max(0, n - byzantine - 2);
    double[] scores = new double[n];
    for (int i = 0; i < n; i++) {
      double[] distances = new double[n - 1];
      int k = 0;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          distances[k++] = Math.max(0, gramian[i][i] + gramian[j][j] - 2 * gramian[i][j]);
        }
      }
      Arrays.sort(distances);
      for (int j = 0; j < neighbours; j++) {
        scores[i] += distances[j];
      }
    }
    // Ties go to the earlier task, so a step's choice never depends on sort stability.
    int[] best = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble((Integer i) -> scores[i]).thenComparing(i -> i))
        .limit(selected).mapToInt(Integer::intValue).toArray();
    double[] weights = new double[n];
    for (int i : best) {
      weights[i] = 1.0 / selected;
    }
    return weights;
  }
}
