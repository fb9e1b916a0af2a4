package dev.mtl.core.task;

import java.util.Map;

/**
 * A task's evaluation: named metric values and which of them ranks models.
 *
 * @param values metric name to value, in the order to show them
 * @param primary the name of the metric used for model selection and summaries
 * @param examples how many examples were evaluated
 */
public record TaskMetrics(Map<String, Double> values, String primary, int examples) {
  public TaskMetrics {
    values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
    if (!values.containsKey(primary)) {
      throw new IllegalArgumentException("primary metric '" + primary + "' is not among " + values.keySet());
    }
  }

  public double primaryValue() {
    return values.get(primary);
  }
}
