package dev.mtl.core.sampling;

import java.util.List;
import java.util.SplittableRandom;

/**
 * What a sampler sees: the step, how far training has come, each source's size and the run's seed.
 *
 * @param step 0-based optimizer step
 * @param totalSteps steps in the whole run
 * @param sources each source's tasks, in source order
 * @param sizes each source's number of training examples
 * @param seed the run's seed
 */
public record SamplingStep(long step, long totalSteps, List<List<String>> sources, int[] sizes, long seed) {
  public SamplingStep {
    sources = List.copyOf(sources);
    if (sources.size() != sizes.length || sizes.length == 0) {
      throw new IllegalArgumentException(sizes.length + " sizes for " + sources.size() + " sources");
    }
  }

  /** Fraction of training done before this step, in [0, 1). */
  public double progress() {
    return totalSteps <= 1 ? 0 : (double) step / totalSteps;
  }

  /** A generator fixed by the seed and the step, for samplers that draw at random. */
  public SplittableRandom random() {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
  }

  /** One index drawn with probability proportional to {@code weights}. */
  public int draw(double[] weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double u = random().nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }
}
