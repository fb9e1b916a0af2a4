package com.example.mtl.regression;

import dev.mtl.core.task.TaskMetrics;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/** RMSE, MAE, Pearson and Spearman correlation (average ranks for ties). */
public final class RegressionMetrics {
  private RegressionMetrics() {}

  /** Metrics of predictions against gold values; Pearson ranks models, RMSE and MAE are better lower. */
  public static TaskMetrics of(double[] predicted, double[] gold) {
    double squared = 0;
    double absolute = 0;
    for (int i = 0; i < gold.length; i++) {
      double d = predicted[i] - gold[i];
      squared += d * d;
      absolute += Math.abs(d);
    }
    int n = Math.max(gold.length, 1);
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("pearson", pearson(predicted, gold));
    values.put("spearman", pearson(ranks(predicted), ranks(gold)));
    values.put("rmse", Math.sqrt(squared / n));
    values.put("mae", absolute / n);
    return new TaskMetrics(values, "pearson", gold.length, Set.of("rmse", "mae"));
  }

  /** Pearson correlation; 0 when either side is constant (no linear relation can be measured). */
  static double pearson(double[] x, double[] y) {
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double cov = 0;
    double vx = 0;
    double vy = 0;
    for (int i = 0; i < x.length; i++) {
      cov += (x[i] - mx) * (y[i] - my);
      vx += (x[i] - mx) * (x[i] - mx);
      vy += (y[i] - my) * (y[i] - my);
    }
    return vx == 0 || vy == 0 ? 0 : cov / Math.sqrt(vx * vy);
  }

  /** 1-based ranks, ties sharing the average of their ranks. */
  static double[] ranks(double[] values) {
    Integer[] order = IntStream.range(0, values.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
    double[] ranks = new double[values.length];
    for (int start = 0; start < order.length; ) {
      int end = start;
      while (end + 1 < order.length && values[order[end + 1]] == values[order[start]]) {
        end++;
      }
      double rank = (start + end) / 2.0 + 1;
      for (int k = start; k <= end; k++) {
        ranks[order[k]] = rank;
      }
      start = end + 1;
    }
    return ranks;
  }
}
