package dev.mtl.tasks.text;

import dev.mtl.core.task.TaskMetrics;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accuracy, macro precision, recall and F1 (and micro-F1 for multi-label) from decisions.
 * Macro averages run over the classes that occur in the gold labels or the predictions (as
 * scikit-learn does by default); a class with no predictions has precision 0.
 */
public final class ClassificationMetrics {
  private ClassificationMetrics() {}

  /**
   * Metrics of single-label decisions.
   *
   * @param predicted predicted class per example
   * @param gold gold class per example
   * @param classes number of classes
   */
  public static TaskMetrics singleLabel(int[] predicted, int[] gold, int classes) {
    long[] tp = new long[classes];
    long[] fp = new long[classes];
    long[] fn = new long[classes];
    long correct = 0;
    for (int i = 0; i < gold.length; i++) {
      if (predicted[i] == gold[i]) {
        tp[gold[i]]++;
        correct++;
      } else {
        fp[predicted[i]]++;
        fn[gold[i]]++;
      }
    }
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("accuracy", gold.length == 0 ? 0 : (double) correct / gold.length);
    putMacro(values, tp, fp, fn);
    return new TaskMetrics(values, "accuracy", gold.length);
  }

  /**
   * Metrics of multi-label decisions; accuracy is exact-match (subset) accuracy.
   *
   * @param predicted per example, per class: predicted present
   * @param gold per example, per class: gold present
   */
  public static TaskMetrics multiLabel(boolean[][] predicted, boolean[][] gold, int classes) {
    long[] tp = new long[classes];
    long[] fp = new long[classes];
    long[] fn = new long[classes];
    long exact = 0;
    for (int i = 0; i < gold.length; i++) {
      boolean same = true;
      for (int c = 0; c < classes; c++) {
        boolean p = predicted[i][c];
        boolean g = gold[i][c];
        if (p && g) {
          tp[c]++;
        } else if (p) {
          fp[c]++;
        } else if (g) {
          fn[c]++;
        }
        same &= p == g;
      }
      if (same) {
        exact++;
      }
    }
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("accuracy", gold.length == 0 ? 0 : (double) exact / gold.length);
    putMacro(values, tp, fp, fn);
    long sumTp = 0;
    long sumFp = 0;
    long sumFn = 0;
    for (int c = 0; c < classes; c++) {
      sumTp += tp[c];
      sumFp += fp[c];
      sumFn += fn[c];
    }
    values.put("micro_f1", f1(precision(sumTp, sumFp), recall(sumTp, sumFn)));
    return new TaskMetrics(values, "macro_f1", gold.length);
  }

  private static void putMacro(Map<String, Double> values, long[] tp, long[] fp, long[] fn) {
    double p = 0;
    double r = 0;
    double f = 0;
    int counted = 0;
    for (int c = 0; c < tp.length; c++) {
      if (tp[c] + fp[c] + fn[c] == 0) {
        continue;
      }
      double pc = precision(tp[c], fp[c]);
      double rc = recall(tp[c], fn[c]);
      p += pc;
      r += rc;
      f += f1(pc, rc);
      counted++;
    }
    values.put("macro_precision", counted == 0 ? 0 : p / counted);
    values.put("macro_recall", counted == 0 ? 0 : r / counted);
    values.put("macro_f1", counted == 0 ? 0 : f / counted);
  }

  private static double precision(long tp, long fp) {
    return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
  }

  private static double recall(long tp, long fn) {
    return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
  }

  private static double f1(double p, double r) {
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }
}
