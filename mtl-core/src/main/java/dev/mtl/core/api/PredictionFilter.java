package dev.mtl.core.api;

import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.TaskPrediction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which tasks a caller wants and how their labels are chosen from the scores, as {@code mtl predict}
 * and {@code mtl serve} take them: {@code tasks} (default all), {@code threshold} (multi-label tasks:
 * every label whose probability is at least this, instead of the thresholds the model holds) and
 * {@code topK} (classification: at most the k most likely labels, most likely first; a single-label
 * task ranks its k best). Scores are always returned whole.
 */
public final class PredictionFilter {
  private final Map<String, LossKind> losses = new LinkedHashMap<>();
  private final Double threshold;
  private final Integer topK;

  private PredictionFilter(Double threshold, Integer topK) {
    this.threshold = threshold;
    this.topK = topK;
  }

  /**
   * A filter for {@code model}; {@code tasks} empty or null means all, {@code threshold} and {@code
   * topK} null mean the model's own decisions.
   *
   * @throws IllegalArgumentException naming the bad value: an unknown task, a threshold outside [0, 1], k below 1
   */
  public static PredictionFilter of(MultiTaskModel model, List<String> tasks, Double threshold, Integer topK) {
    if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold was " + threshold + " but must be a probability in [0, 1]");
    }
    if (topK != null && topK < 1) {
      throw new IllegalArgumentException("top-k was " + topK + " but must be at least 1");
    }
    PredictionFilter filter = new PredictionFilter(threshold, topK);
    for (String task : tasks == null || tasks.isEmpty() ? model.tasks() : tasks) {
      if (!model.tasks().contains(task)) {
        throw new IllegalArgumentException("tasks names '" + task + "' but this model's tasks are " + model.tasks());
      }
      filter.losses.put(task, model.task(task).output().loss());
    }
    return filter;
  }

  /** The chosen tasks' predictions, labels chosen as asked, in the order the tasks were named. */
  public Map<String, TaskPrediction> apply(Map<String, TaskPrediction> predictions) {
    Map<String, TaskPrediction> shown = new LinkedHashMap<>();
    losses.forEach((task, loss) -> shown.put(task, choose(predictions.get(task), loss)));
    return shown;
  }

  private TaskPrediction choose(TaskPrediction p, LossKind loss) {
    if (loss.regression() || (threshold == null && topK == null)) {
      return p;
    }
    List<String> labels;
    if (loss == LossKind.SIGMOID_BINARY_CROSS_ENTROPY) {
      labels = threshold == null ? new ArrayList<>(p.labels())
          : new ArrayList<>(p.scores().entrySet().stream().filter(e -> e.getValue() >= threshold).map(Map.Entry::getKey).toList());
    } else {
      // Single-label: the most likely label; with a top-k, the k most likely.
      labels = new ArrayList<>(topK == null ? p.labels() : p.scores().keySet());
    }
    labels.sort(Comparator.comparing((String label) -> p.scores().get(label)).reversed());
    if (topK != null && labels.size() > topK) {
      labels = labels.subList(0, topK);
    }
    return TaskPrediction.classification(labels, p.scores());
  }
}
