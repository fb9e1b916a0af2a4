package dev.mtl.core.task;

/**
 * The losses every engine implements, with the activation that turns a head's logits into the
 * scores tasks see. A task type picks one; the engine needs nothing else to train it.
 */
public enum LossKind {
  /** One class per example; target is the class index; scores are softmax probabilities. */
  SOFTMAX_CROSS_ENTROPY,
  /** Any number of classes per example; target is multi-hot; scores are sigmoid probabilities. */
  SIGMOID_BINARY_CROSS_ENTROPY,
  /** Real-valued outputs; target holds the values; scores are the raw outputs. */
  MEAN_SQUARED_ERROR,
  /** Real-valued outputs, robust to outliers (delta 1); scores are the raw outputs. */
  HUBER;

  /** True for the losses of real-valued outputs, whose predictions are values rather than labels. */
  public boolean regression() {
    return this == MEAN_SQUARED_ERROR || this == HUBER;
  }

  /** How many floats one example's target holds for a head with {@code outputSize} outputs. */
  public int targetWidth(int outputSize) {
    return this == SOFTMAX_CROSS_ENTROPY ? 1 : outputSize;
  }
}
