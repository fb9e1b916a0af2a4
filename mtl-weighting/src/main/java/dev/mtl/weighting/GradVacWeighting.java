package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Gradient Vaccine (Wang, Tsvetkov, Firat and Cao, "Gradient Vaccine: Investigating and Improving
 * Multi-task Optimization in Massively Multilingual Models", ICLR 2021). Each pair of tasks keeps a
 * target cosine, an exponential moving average {@code φ̂_ij ← (1 − β) φ̂_ij + β φ_ij} of their
 * observed gradient cosines (starting at 0). Whenever task i's (adjusted) gradient is less similar
 * to task j's than the target, it gets the multiple of {@code g_j} that brings their cosine up to
 * exactly {@code φ̂_ij}:
 * {@code g_i += g_j ‖g_i‖ (φ̂ √(1−φ²) − φ √(1−φ̂²)) / (‖g_j‖ √(1−φ̂²))}. Unlike PCGrad, which only
 * removes conflict (target 0), it also raises the similarity of tasks that usually agree more. The
 * adjusted gradients are combinations of the originals, tracked through the Gramian; the update is
 * their sum. The targets are saved with checkpoints.
 *
 * <pre>
 * weighting: {type: gradvac, beta: 0.5, gramian: representation, seed: 0}   # seed: the visiting order
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class GradVacWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "gradvac";
  }

  @Override
  public String description() {
    return "raise each pair's gradient cosine to its moving-average target (Gradient Vaccine, Wang et al. 2021)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double beta = settings.number("beta", 0.5, 0, 1);
    long seed = settings.longValue("seed", 0);
    int n = taskNames.size();
    return new GramianWeighting(GramianOption.read(settings)) {
      private double[][] targets = new double[n][n];

      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return vaccinate(gramian, targets, beta, new SplittableRandom(seed ^ (input.step() * 0x9E3779B97F4A7C15L)));
      }

      @Override
      public Map<String, double[]> state() {
        return Map.of("targets", Arrays.stream(targets).flatMapToDouble(Arrays::stream).toArray());
      }

      @Override
      public void restore(Map<String, double[]> state) {
        double[] flat = state.get("targets");
        if (flat != null && flat.length == n * n) {
          for (int i = 0; i < n; i++) {
            targets[i] = Arrays.copyOfRange(flat, i * n, (i + 1) * n);
          }
        }
      }
    };
  }

  /**
   * The summed adjusted gradients as weights on the original ones; updates {@code targets} (the
   * moving averages) in place.
   */
  static double[] vaccinate(double[][] gramian, double[][] targets, double beta, SplittableRandom random) {
    int n = gramian.length;
    double[] total = new double[n];
    for (int i = 0; i < n; i++) {
      double[] c = new double[n];
      c[i] = 1;
      for (int j : PcGradWeighting.shuffled(n, random)) {
        if (j == i || !(gramian[j][j] > 0)) {
          continue;
        }
        double normJ = Math.sqrt(gramian[j][j]);
        double normI = Math.sqrt(Math.max(0, Matrices.dot(c, Matrices.times(gramian, c))));
        if (!(normI > 0)) {
          continue;
        }
        // cos(g_i', g_j) = ⟨Σ_k c_k g_k, g_j⟩ / (‖g_i'‖ ‖g_j‖) = (G c)_j / (‖g_i'‖ ‖g_j‖)
        double cosine = Math.max(-1, Math.min(1, Matrices.dot(gramian[j], c) / (normI * normJ)));
        double target = targets[i][j];
        if (cosine < target) {
          c[j] += normI * (target * Math.sqrt(1 - cosine * cosine) - cosine * Math.sqrt(1 - target * target))
              / (normJ * Math.sqrt(1 - target * target));
        }
        targets[i][j] = (1 - beta) * target + beta * cosine;
      }
      for (int k = 0; k < n; k++) {
        total[k] += c[k];
      }
    }
    return total;
  }
}
