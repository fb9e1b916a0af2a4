package dev.mtl.core.inference;

import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskMetrics;
import java.util.Map;

/**
 * What {@link Task#calibrate} did to one task on held-out scores: what it chose, and its metrics
 * there before and after.
 */
public record Calibration(Map<String, Object> chosen, TaskMetrics before, TaskMetrics after) {
  /** Calibrates {@code task} on {@code scored} and measures it on the same rows before and after. */
  public static Calibration of(Task task, Evaluator.Scored scored) {
    TaskMetrics before = task.evaluate(scored.scores(), scored.targets());
    Map<String, Object> chosen = task.calibrate(scored.scores(), scored.targets());
    return new Calibration(chosen, before, task.evaluate(scored.scores(), scored.targets()));
  }
}
