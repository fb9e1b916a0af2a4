package dev.mtl.weighting;

/**
 * Adam (Kingma and Ba, 2015) over a few scalars that a weighting learns itself (log-variances,
 * GradNorm's weights), from gradients it computes in closed form. Adam's per-coordinate scaling
 * makes the learning rate mean "about this much change per step" whatever the losses' scale.
 */
final class ScalarAdam {
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-8;

  private final double learningRate;
  private final double[] mean;
  private final double[] variance;
  private long steps;

  ScalarAdam(int size, double learningRate) {
    this.learningRate = learningRate;
    this.mean = new double[size];
    this.variance = new double[size];
  }

  /** Moves {@code values} against {@code gradient}, in place. */
  void step(double[] values, double[] gradient) {
    steps++;
    for (int i = 0; i < values.length; i++) {
      mean[i] = BETA1 * mean[i] + (1 - BETA1) * gradient[i];
      variance[i] = BETA2 * variance[i] + (1 - BETA2) * gradient[i] * gradient[i];
      double m = mean[i] / (1 - Math.pow(BETA1, steps));
      double v = variance[i] / (1 - Math.pow(BETA2, steps));
      values[i] -= learningRate * m / (Math.sqrt(v) + EPSILON);
    }
  }
}
