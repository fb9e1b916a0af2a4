package dev.mtl.core.task;

import java.util.List;

/**
 * What a task's head outputs: how many values, trained with which loss, and what each value means.
 *
 * @param size number of outputs (classes, or regression targets)
 * @param loss the loss, which also fixes the activation of the scores
 * @param names one name per output, e.g. the label names
 */
public record OutputSpec(int size, LossKind loss, List<String> names) {
  public OutputSpec {
    names = List.copyOf(names);
    if (size < 1) {
      throw new IllegalArgumentException("an output needs at least one value, got " + size);
    }
    if (names.size() != size) {
      throw new IllegalArgumentException("expected " + size + " output names, got " + names.size());
    }
    if (loss == LossKind.SOFTMAX_CROSS_ENTROPY && size < 2) {
      throw new IllegalArgumentException("softmax cross-entropy needs at least two classes, got " + names);
    }
  }

  public int targetWidth() {
    return loss.targetWidth(size);
  }
}
