package dev.mtl.core.task;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a task predicts for one text. Classification fills {@code labels} and {@code scores};
 * regression fills {@code value}. As JSON a classification always has both, {@code labels} empty
 * when no label passes a multi-label task's threshold: {@code {"labels": ["joy"], "scores":
 * {...}}}; a regression has only its value: {@code {"value": 3.2}}.
 *
 * @param labels the predicted labels (one for single-label tasks, any number for multi-label)
 * @param scores each label's probability, by label name
 * @param value the predicted value of a regression task, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"labels", "scores", "value"})
public record TaskPrediction(@JsonIgnore List<String> labels, @JsonIgnore Map<String, Double> scores, Double value) {
  public TaskPrediction {
    labels = List.copyOf(labels);
    scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores));
  }

  /** A classification: chosen labels and every label's probability. */
  public static TaskPrediction classification(List<String> labels, Map<String, Double> scores) {
    return new TaskPrediction(labels, scores, null);
  }

  @JsonProperty("labels")
  private List<String> labelsAsJson() {
    return value == null ? labels : null;
  }

  @JsonProperty("scores")
  private Map<String, Double> scoresAsJson() {
    return value == null ? scores : null;
  }

  /** A regression: one predicted value. */
  public static TaskPrediction regression(double value) {
    return new TaskPrediction(List.of(), Map.of(), value);
  }
}
