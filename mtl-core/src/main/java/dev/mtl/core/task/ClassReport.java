package dev.mtl.core.task;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A classification task's results per class on labelled data, and its confusion matrix: what a
 * report shows beside the averaged metrics.
 *
 * @param classes per class, in label order: precision, recall, F1 and support (gold examples)
 * @param confusionLabels the classes the matrix covers: all of them, or the {@value #CONFUSION_LIMIT}
 *     with the most gold examples when there are more
 * @param confusion {@code confusion[g][p]}: examples whose gold labels include {@code confusionLabels[g]}
 *     and whose predicted labels include {@code confusionLabels[p]} (single-label: gold g, predicted p)
 * @param multiLabel whether an example can have several gold and predicted labels
 */
public record ClassReport(List<ClassResult> classes, List<String> confusionLabels, long[][] confusion, boolean multiLabel) {
  /** Beyond this many classes the confusion matrix keeps the most frequent ones, to stay readable. */
  public static final int CONFUSION_LIMIT = 30;

  /** One class's results. */
  public record ClassResult(String label, double precision, double recall, double f1, long support) {}

  /**
   * The report of decisions per example and class.
   *
   * @param labels class names
   * @param predicted per example, per class: predicted
   * @param gold per example, per class: gold
   * @param multiLabel whether several labels per example are possible
   */
  public static ClassReport of(List<String> labels, boolean[][] predicted, boolean[][] gold, boolean multiLabel) {
    int n = labels.size();
    long[] tp = new long[n];
    long[] fp = new long[n];
    long[] fn = new long[n];
    for (int i = 0; i < gold.length; i++) {
      for (int c = 0; c < n; c++) {
        if (predicted[i][c] && gold[i][c]) {
          tp[c]++;
        } else if (predicted[i][c]) {
          fp[c]++;
        } else if (gold[i][c]) {
          fn[c]++;
        }
      }
    }
    List<ClassResult> classes = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      double p = tp[c] + fp[c] == 0 ? 0 : (double) tp[c] / (tp[c] + fp[c]);
      double r = tp[c] + fn[c] == 0 ? 0 : (double) tp[c] / (tp[c] + fn[c]);
      classes.add(new ClassResult(labels.get(c), p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), tp[c] + fn[c]));
    }
    int[] kept = IntStream.range(0, n).boxed().sorted(Comparator.comparingLong((Integer c) -> -(tp[c] + fn[c])))
        .limit(CONFUSION_LIMIT).sorted().mapToInt(Integer::intValue).toArray();
    long[][] confusion = new long[kept.length][kept.length];
    for (int i = 0; i < gold.length; i++) {
      for (int g = 0; g < kept.length; g++) {
        if (gold[i][kept[g]]) {
          for (int p = 0; p < kept.length; p++) {
            if (predicted[i][kept[p]]) {
              confusion[g][p]++;
            }
          }
        }
      }
    }
    return new ClassReport(classes, IntStream.of(kept).mapToObj(labels::get).toList(), confusion, multiLabel);
  }
}
