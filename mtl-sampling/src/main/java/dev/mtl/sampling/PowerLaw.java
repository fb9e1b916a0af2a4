package dev.mtl.sampling;

import dev.mtl.core.sampling.SamplingStep;
import dev.mtl.core.sampling.TaskSampler;
import java.util.Arrays;
import java.util.function.ToIntFunction;

/** Samplers that train one source per step, drawn with probability proportional to {@code size^exponent}. */
final class PowerLaw {
  private PowerLaw() {}

  static double[] probabilities(int[] sizes, double exponent) {
    double[] p = new double[sizes.length];
    double total = 0;
    for (int i = 0; i < sizes.length; i++) {
      p[i] = Math.pow(Math.max(sizes[i], 1), exponent);
      total += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= total;
    }
    return p;
  }

  static int draw(SamplingStep step, double exponent) {
    return step.draw(probabilities(step.sizes(), exponent));
  }

  /**
   * A sampler that trains the one source {@code choose} picks each step; its epoch is, in
   * expectation, one pass over every source.
   */
  static TaskSampler oneSourcePerStep(ToIntFunction<SamplingStep> choose) {
    return new TaskSampler() {
      @Override
      public int[] sources(SamplingStep step) {
        return new int[] {choose.applyAsInt(step)};
      }

      @Override
      public int defaultStepsPerEpoch(int[] batchesPerSource) {
        return Arrays.stream(batchesPerSource).sum();
      }

      @Override
      public int mostSourcesPerStep(int sources) {
        return Math.min(1, sources);
      }
    };
  }
}
