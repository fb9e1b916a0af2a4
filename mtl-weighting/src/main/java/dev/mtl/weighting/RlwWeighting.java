package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random loss weighting (Lin et al., "Reasonable Effectiveness of Random Weighting: A Litmus Test
 * for Multi-Task Learning", TMLR 2022): fresh weights every step, {@code softmax(z)} with
 * {@code z_t ~ N(0, 1)}; they sum to 1. The draw depends only on {@code seed} and the step, so a
 * run repeats exactly.
 *
 * <pre>
 * weighting: {type: rlw, seed: 0}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class RlwWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "rlw";
  }

  @Override
  public String description() {
    return "random softmax-normal weights every step (Lin et al. 2022)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    long seed = settings.longValue("seed", 0);
    return (WeightingInput input) -> {
      SplittableRandom random = new SplittableRandom(seed ^ (input.step() * 0x9E3779B97F4A7C15L));
      int n = input.tasks().size();
      double[] w = new double[n];
      double total = 0;
      for (int t = 0; t < n; t++) {
        w[t] = Math.exp(gaussian(random));
        total += w[t];
      }
      for (int t = 0; t < n; t++) {
        w[t] /= total;
      }
      return w;
    };
  }

  /** A standard normal draw (Box-Muller), so the sequence is fixed by the seed on every JVM. */
  private static double gaussian(SplittableRandom random) {
    return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
  }
}
