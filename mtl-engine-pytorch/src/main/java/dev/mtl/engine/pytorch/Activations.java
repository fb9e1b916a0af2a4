package dev.mtl.engine.pytorch;

import dev.mtl.core.task.LossKind;

/**
 * A loss's activation on one row of logits, in Java: a prediction reads every head's logits back in
 * one copy and turns them into scores here, instead of a native softmax or sigmoid and a copy per
 * head. Same values as {@link Lowering#activation} to float rounding.
 */
final class Activations {
  private Activations() {}

  /** Scores of {@code size} logits starting at {@code from}: probabilities, or the values themselves. */
  static float[] apply(LossKind loss, float[] logits, int from, int size) {
    float[] out = new float[size];
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < size; j++) {
          max = Math.max(max, logits[from + j]);
        }
        double sum = 0;
        for (int j = 0; j < size; j++) {
          double e = Math.exp(logits[from + j] - max); // shifted by the largest: no overflow
          out[j] = (float) e;
          sum += e;
        }
        for (int j = 0; j < size; j++) {
          out[j] = (float) (out[j] / sum);
        }
      }
      case SIGMOID_BINARY_CROSS_ENTROPY -> {
        for (int j = 0; j < size; j++) {
          out[j] = (float) (1 / (1 + Math.exp(-logits[from + j])));
        }
      }
      case MEAN_SQUARED_ERROR, HUBER -> System.arraycopy(logits, from, out, 0, size);
    }
    return out;
  }
}
