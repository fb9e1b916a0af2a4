package dev.mtl.core.task;

import java.util.List;
import java.util.Map;

/**
 * What a task predicts for one text.
 *
 * @param labels the predicted labels (one for single-label tasks, any number for multi-label)
 * @param scores every output's score by name: probabilities for classification, values for regression
 */
public record TaskPrediction(List<String> labels, Map<String, Double> scores) {
  public TaskPrediction {
    labels = List.copyOf(labels);
    scores = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(scores));
  }
}
