package dev.mtl.core.task;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One thing a multi-task model learns to predict. A task reads its own data, says what its head
 * outputs, decodes scores into predictions and evaluates them; the engine does the rest. Engine
 * code never sees task types, so a new task type needs no engine change as long as its outputs
 * fit an {@link OutputSpec}.
 */
public interface Task {
  /** Unique within a run, e.g. {@code sentiment}. */
  String name();

  /** The type name of the provider that made it, e.g. {@code text-classification}. */
  String type();

  /**
   * Learns from the training file what the config left open (e.g. the label names, a target's
   * scale), before any split is read or a model is built: the one place a task reads data for
   * itself. Model assembly calls it once per run on the task's train file; what it learns is part
   * of {@link #resolvedSettings()}, so a saved model never needs the data again. A task whose
   * settings say everything does nothing (the default).
   *
   * @throws dev.mtl.core.data.DataException if the file cannot be read
   */
  default void fit(Path trainFile) {}

  /** The head's outputs and loss; known once the settings or {@link #fit} gave what it needs. */
  OutputSpec output();

  /** The data file configured for a split, if any. Training needs {@link DataSplit#TRAIN}. */
  Optional<Path> dataFile(DataSplit split);

  /**
   * Reads a data file in this task's format. Unparseable rows are a {@link
   * dev.mtl.core.data.DataException} naming file, line and value, unless the task is configured
   * to skip them, in which case they are counted in {@link TaskData#skippedRows()}.
   */
  TaskData read(Path file);

  /** Turns one example's scores (after the loss's activation) into a prediction. */
  TaskPrediction decode(float[] scores);

  /** Evaluates scores against targets, both one row per example. */
  TaskMetrics evaluate(float[][] scores, float[][] targets);

  /**
   * Per-class results and a confusion matrix of a classification task on labelled data, for reports;
   * empty (the default) for tasks without classes (regression) or that do not offer them.
   *
   * @param scores one row per example, after the loss's activation
   * @param targets the same examples' targets, every row labelled
   */
  default Optional<ClassReport> classReport(float[][] scores, float[][] targets) {
    return Optional.empty();
  }

  /**
   * Chooses this task's decision settings from a trained model's scores on held-out data (e.g. a
   * multi-label task's threshold per label), so that {@link #decode} and {@link #evaluate} use them
   * from then on; what it chooses is part of {@link #resolvedSettings()}, so the saved model decides
   * the same way. Returns what it chose, by setting name; empty (the default) when the task has
   * nothing to choose.
   *
   * @param scores one row per held-out example, after the loss's activation
   * @param targets the same examples' targets, every row labelled
   */
  default Map<String, Object> calibrate(float[][] scores, float[][] targets) {
    return Map.of();
  }

  /**
   * The metrics {@link #evaluate} would give on these rows after {@link #calibrate} on the same rows,
   * without changing this task's settings: what training selects models by when the task asks to be
   * calibrated. The default, for tasks with nothing to calibrate, is {@link #evaluate}.
   *
   * @param scores one row per held-out example, after the loss's activation
   * @param targets the same examples' targets, every row labelled
   */
  default TaskMetrics calibratedMetrics(float[][] scores, float[][] targets) {
    return evaluate(scores, targets);
  }

  /**
   * Whether the task's settings ask training to end with {@link #calibrate} on the dev split (e.g.
   * {@code threshold: tune}). {@code mtl calibrate} calibrates a trained model's tasks whether or not
   * they asked.
   */
  default boolean calibrationRequested() {
    return false;
  }

  /**
   * Settings that recreate this task through its provider without reading training data (label
   * names inline), saved with a trained model.
   */
  Map<String, Object> resolvedSettings();
}
