package dev.mtl.sampling;

import dev.mtl.core.sampling.SamplingStep;

/** Draws one source with probability proportional to {@code size^exponent}. */
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

  static int[] draw(SamplingStep step, double exponent) {
    return new int[] {step.draw(probabilities(step.sizes(), exponent))};
  }

  /** One source per step: an epoch is, in expectation, one pass over every source. */
  static int passOverAll(int[] batchesPerSource) {
    return java.util.Arrays.stream(batchesPerSource).sum();
  }
}
