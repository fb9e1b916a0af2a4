package dev.mtl.core.task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The examples of one split of one task: texts and their targets, in file order.
 *
 * @param texts one text per example
 * @param targets one target per example, {@link OutputSpec#targetWidth()} floats each, or {@link
 *     #UNLABELLED} for a row that has no label for this task (partial labels: the row still
 *     trains the other tasks over the same texts, and is left out of this task's loss and metrics)
 * @param source where the examples came from, for messages
 * @param skippedRows rows the reader could not use and reported (0 unless the task is set to skip them)
 * @param rowWeights how much each row's loss counts (pseudo-labelled rows below 1), or null when
 *     every row counts 1, as rows read from files do
 */
public record TaskData(List<String> texts, List<float[]> targets, String source, int skippedRows, float[] rowWeights) {
  /** The target of a row without a label for the task: no values at all. */
  public static final float[] UNLABELLED = new float[0];

  public TaskData(List<String> texts, List<float[]> targets, String source, int skippedRows) {
    this(texts, targets, source, skippedRows, null);
  }

  public TaskData {
    texts = List.copyOf(texts);
    targets = List.copyOf(targets);
    if (texts.size() != targets.size()) {
      throw new IllegalArgumentException(texts.size() + " texts but " + targets.size() + " targets in " + source);
    }
    if (rowWeights != null && rowWeights.length != texts.size()) {
      throw new IllegalArgumentException(texts.size() + " texts but " + rowWeights.length + " row weights in " + source);
    }
  }

  public int size() {
    return texts.size();
  }

  /** Whether a target is a label, rather than {@link #UNLABELLED}. */
  public static boolean isLabelled(float[] target) {
    return target.length > 0;
  }

  /**
   * The rows {@code keep} accepts (by row index), in order, with their targets and row weights;
   * for splitting a task's data (cross-validation folds, hidden labels).
   *
   * @param skippedRows what the part reports as skipped when read (the caller decides which part
   *     carries the reader's count)
   */
  public TaskData rows(IntPredicate keep, String source, int skippedRows) {
    List<String> keptTexts = new ArrayList<>();
    List<float[]> keptTargets = new ArrayList<>();
    float[] keptWeights = rowWeights == null ? null : new float[size()];
    for (int row = 0; row < size(); row++) {
      if (keep.test(row)) {
        if (keptWeights != null) {
          keptWeights[keptTexts.size()] = rowWeights[row];
        }
        keptTexts.add(texts.get(row));
        keptTargets.add(targets.get(row));
      }
    }
    return new TaskData(keptTexts, keptTargets, source, skippedRows,
        keptWeights == null ? null : Arrays.copyOf(keptWeights, keptTexts.size()));
  }

  /** Rows with a label for this task. */
  public int labelledCount() {
    return (int) targets.stream().filter(TaskData::isLabelled).count();
  }
}
