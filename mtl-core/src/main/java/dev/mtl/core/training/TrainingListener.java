package dev.mtl.core.training;

import dev.mtl.core.engine.StepResult;
import dev.mtl.core.task.TaskMetrics;
import java.util.List;
import java.util.Map;

/** Hears how a training run goes, e.g. to show progress. Every method does nothing by default. */
public interface TrainingListener {
  /** Data read and model built, before the first step. */
  default void onStart(List<TaskSummary> tasks, int vocabularySize, long parameterCount, String device) {}

  default void onEpochStart(int epoch, int epochs, int steps) {}

  /** After every optimizer step; {@code step} counts from 0 over the whole run. */
  default void onStep(int epoch, long step, int stepInEpoch, int stepsInEpoch, StepResult result) {}

  /** After each epoch's evaluation on the dev splits (empty when no task has one). */
  default void onEpochEnd(EpochSummary summary) {}

  /**
   * An evaluation under way ({@code split}: what is evaluated, e.g. dev, test): called with 0 rows done as it starts, then
   * after each batch, so a long evaluation can show its progress.
   */
  default void onEvaluation(String split, long rowsDone, long rowsTotal) {}

  /**
   * A task stopped training ({@code training.stop-tasks}) after this epoch's evaluation: it kept its
   * state from {@code bestEpoch} (0-based, as {@code epoch}); the other tasks go on.
   */
  default void onTaskStop(String task, int epoch, int bestEpoch) {}

  /** Before a task's fine-tuning ({@code training.fine-tune}): at most {@code epochs} epochs of {@code steps} steps. */
  default void onFineTuneStart(String task, int epochs, int steps) {}

  /**
   * After an epoch of a task's fine-tuning.
   *
   * @param dev the task's dev metrics after it
   * @param kept whether this state is the best so far (the one the task keeps unless a later epoch beats it)
   */
  default void onFineTuneEpoch(String task, int epoch, int epochs, double seconds, TaskMetrics dev, boolean kept) {}

  default void onFinished(TrainingReport report) {}

  /**
   * Examples per split of one task.
   *
   * @param skippedRows rows the reader reported and skipped (only when the task is set to skip)
   * @param untrainedLabels labels of a classification task that no training row has: the model
   *     cannot learn to predict them
   */
  record TaskSummary(String task, String type, int outputs, int train, int dev, int test, int skippedRows,
      List<String> untrainedLabels) {}

  /**
   * One epoch.
   *
   * @param meanLoss mean per-task training loss over the epoch's steps that trained the task
   * @param meanWeight mean weight the weighting gave each task over those steps
   * @param meanCosine mean cosine similarity of each pair of task gradients ({@code "a~b"}) over
   *     the steps that measured it; empty if none did (see {@code training.gradient-conflict})
   * @param dev dev metrics per task after the epoch
   * @param seconds wall time of the epoch's training steps, without evaluation
   * @param skippedSteps steps skipped for a non-finite loss or gradient ({@code training.non-finite: skip})
   * @param rssBytes the process's resident memory at the epoch's end (-1 where unknown): flat across
   *     epochs when nothing leaks
   */
  record EpochSummary(int epoch, int steps, Map<String, Double> meanLoss, Map<String, Double> meanWeight,
      Map<String, Double> meanCosine, Map<String, TaskMetrics> dev, double seconds, int skippedSteps, long rssBytes) {}
}
