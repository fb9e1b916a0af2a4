package dev.mtl.core.task;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A task's evaluation: named metric values, which of them ranks models, and which are better
 * when lower (errors such as RMSE), so that comparisons across tasks can adjust the sign.
 *
 * @param values metric name to value, in the order to show them
 * @param primary the metric used for model selection and summaries
 * @param examples how many examples were evaluated
 * @param lowerIsBetter names of metrics where smaller is better; the rest are better when higher
 */
public record TaskMetrics(Map<String, Double> values, String primary, int examples, Set<String> lowerIsBetter) {
  public TaskMetrics {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    lowerIsBetter = Set.copyOf(lowerIsBetter);
    if (!values.containsKey(primary)) {
      throw new IllegalArgumentException("primary metric '" + primary + "' is not among " + values.keySet());
    }
    if (!values.keySet().containsAll(lowerIsBetter)) {
      throw new IllegalArgumentException("lower-is-better metrics " + lowerIsBetter + " are not all among " + values.keySet());
    }
  }

  /** Metrics that are all better when higher (accuracy, F1, correlation). */
  public TaskMetrics(Map<String, Double> values, String primary, int examples) {
    this(values, primary, examples, Set.of());
  }

  public double primaryValue() {
    return values.get(primary);
  }

  public boolean higherIsBetter(String metric) {
    return !lowerIsBetter.contains(metric);
  }
}
