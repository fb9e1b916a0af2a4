package dev.mtl.core.task;

import java.util.List;

/**
 * The examples of one split of one task: texts and their targets, in file order.
 *
 * @param texts one text per example
 * @param targets one target per example, {@link OutputSpec#targetWidth()} floats each
 * @param source where the examples came from, for messages
 * @param skippedRows rows the reader could not use and reported (0 unless the task is set to skip them)
 */
public record TaskData(List<String> texts, List<float[]> targets, String source, int skippedRows) {
  public TaskData {
    texts = List.copyOf(texts);
    targets = List.copyOf(targets);
    if (texts.size() != targets.size()) {
      throw new IllegalArgumentException(texts.size() + " texts but " + targets.size() + " targets in " + source);
    }
  }

  public int size() {
    return texts.size();
  }
}
