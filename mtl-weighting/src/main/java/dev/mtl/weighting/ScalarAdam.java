package dev.mtl.weighting;

import java.util.Arrays;
import java.util.Map;

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
  private final long[] steps;

  ScalarAdam(int size, double learningRate) {
    this.learningRate = learningRate;
    this.mean = new double[size];
    this.variance = new double[size];
    this.steps = new long[size];
  }

  /** Moves {@code values[i]} against {@code gradient}; each scalar counts its own steps. */
  void step(double[] values, int i, double gradient) {
    steps[i]++;
    mean[i] = BETA1 * mean[i] + (1 - BETA1) * gradient;
    variance[i] = BETA2 * variance[i] + (1 - BETA2) * gradient * gradient;
    double m = mean[i] / (1 - Math.pow(BETA1, steps[i]));
    double v = variance[i] / (1 - Math.pow(BETA2, steps[i]));
    values[i] -= learningRate * m / (Math.sqrt(v) + EPSILON);
  }

  /** Moments and step counts, for checkpoints. */
  void saveTo(Map<String, double[]> state, String prefix) {
    state.put(prefix + "mean", mean.clone());
    state.put(prefix + "variance", variance.clone());
    state.put(prefix + "steps", Arrays.stream(steps).asDoubleStream().toArray());
  }

  void restoreFrom(Map<String, double[]> state, String prefix) {
    System.arraycopy(state.get(prefix + "mean"), 0, mean, 0, mean.length);
    System.arraycopy(state.get(prefix + "variance"), 0, variance, 0, variance.length);
    double[] saved = state.get(prefix + "steps");
    for (int i = 0; i < steps.length; i++) {
      steps[i] = (long) saved[i];
    }
  }
}
