package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.SplittableRandom;

/**
 * PCGrad, "gradient surgery" (Yu et al., "Gradient Surgery for Multi-Task Learning", NeurIPS
 * 2020): each task gradient, wherever it conflicts with another task's (negative inner product),
 * loses its component along that gradient, visiting the others in random order; the update is the
 * sum of the projected gradients. Every projected gradient is a combination of the original ones,
 * so it is tracked as coefficients through the Gramian and the sum comes out as task weights
 * (which can be negative for a task whose gradient was projected out of the others).
 *
 * <pre>
 * weighting: {type: pcgrad, gramian: representation, seed: 0}   # seed: the visiting order
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class PcGradWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "pcgrad";
  }

  @Override
  public String description() {
    return "project out conflicting gradient components, then sum (Yu et al. 2020)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    long seed = settings.longValue("seed", 0);
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return surgery(gramian, new SplittableRandom(seed ^ (input.step() * 0x9E3779B97F4A7C15L)));
      }
    };
  }

  static double[] surgery(double[][] gramian, SplittableRandom random) {
    int n = gramian.length;
    double[] total = new double[n];
    for (int i = 0; i < n; i++) {
      double[] c = new double[n];
      c[i] = 1;
      for (int j : shuffled(n, random)) {
        // ⟨Σ_k c_k g_k, g_j⟩ = (G c)_j
        double conflict = Matrices.dot(gramian[j], c);
        if (conflict < 0 && gramian[j][j] > 0) {
          c[j] -= conflict / gramian[j][j];
        }
      }
      for (int k = 0; k < n; k++) {
        total[k] += c[k];
      }
    }
    return total;
  }

  static int[] shuffled(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}
