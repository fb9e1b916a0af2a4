package dev.mtl.core.task;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a task predicts for one text. Classification fills {@code labels} and {@code scores};
 * regression fills {@code value}. As JSON, empty parts are left out: {@code {"labels": ["joy"],
 * "scores": {...}}} or {@code {"value": 3.2}}.
 *
 * @param labels the predicted labels (one for single-label tasks, any number for multi-label)
 * @param scores each label's probability, by label name
 * @param value the predicted value of a regression task, else null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record TaskPrediction(List<String> labels, Map<String, Double> scores, Double value) {
  public TaskPrediction {
    labels = List.copyOf(labels);
    scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores));
  }

  /** A classification: chosen labels and every label's probability. */
  public static TaskPrediction classification(List<String> labels, Map<String, Double> scores) {
    return new TaskPrediction(labels, scores, null);
  }

  /** A regression: one predicted value. */
  public static TaskPrediction regression(double value) {
    return new TaskPrediction(List.of(), Map.of(), value);
  }
}
