package dev.mtl.core.run;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.sampling.TaskSampler;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code training} part of a run config.
 *
 * @param epochs number of epochs
 * @param batchSize examples per task per step
 * @param stepsPerEpoch steps per epoch; 0 means one pass over the largest task's data (smaller
 *     tasks cycle). Single-task baselines set it to the multi-task run's, for the same budget.
 * @param maxStepsPerEpoch cap on steps per epoch, 0 for none (quick trials and tests)
 * @param logEvery write training losses to the log every this many steps
 * @param optimizer optimizer and learning rate
 * @param gradientConflict where to measure the cosine similarity of task gradients every
 *     {@code logEvery} steps, for the record, when the weighting computes no Gramian itself: {@code
 *     auto} (the representation if the model has one for all tasks, else the shared parameters,
 *     else nowhere), {@code representation}, {@code parameters} or {@code none}
 * @param skipNonFinite on a NaN or infinite loss or gradient: skip the step (true) or stop the run
 *     (false, the default) with the task and step; either way no broken parameters are kept
 * @param selection which epoch's model the run keeps, and early stopping
 * @param evalEvery also evaluate on dev every this many steps (0: after each epoch only); model
 *     selection and patience count every evaluation
 * @param checkpointEvery write a checkpoint every this many steps, besides the one after each
 *     epoch (0: after epochs only); {@code mtl train --resume} continues from the latest
 * @param fineTuning per-task fine-tuning after multi-task training, if configured
 * @param distillation learning from single-task teachers' scores as well as the labels, if configured
 * @param batchesPerTask {@code task-batches: per-task}: tasks labelled on the same texts still draw
 *     batches of their own, each task a data source of its own, so the sampler chooses among tasks
 *     (round-robin: one task, and a whole optimizer step, per step). {@code shared} (the default):
 *     they share every batch, one encoder pass training all of them. Either way each task makes one
 *     pass over its data per epoch.
 */
public record TrainingSettings(int epochs, int batchSize, int stepsPerEpoch, int maxStepsPerEpoch, int logEvery,
    OptimizerSettings optimizer, String gradientConflict, boolean skipNonFinite, ModelSelection selection, int evalEvery, int checkpointEvery,
    Optional<FineTuning> fineTuning, Optional<Distillation> distillation, boolean batchesPerTask) {
  public static final Set<String> GRADIENT_CONFLICT = Set.of("auto", "representation", "parameters", "none");

  /** Reads the settings; {@code output} is the run's output folder, where {@code --single-task} writes its models. */
  public static TrainingSettings read(ConfigSection training, List<String> tasks, Path output) {
    OptimizerSettings optimizer = OptimizerSettings.read(training);
    return new TrainingSettings(
        training.integer("epochs", 3, 1, 100_000),
        training.integer("batch-size", 32, 1, 65_536),
        training.integer("steps-per-epoch", 0, 0, Integer.MAX_VALUE),
        training.integer("max-steps-per-epoch", 0, 0, Integer.MAX_VALUE),
        training.integer("log-every", 100, 1, Integer.MAX_VALUE),
        optimizer,
        training.oneOf("gradient-conflict", "auto", GRADIENT_CONFLICT),
        training.oneOf("non-finite", "stop", Set.of("stop", "skip")).equals("skip"),
        ModelSelection.read(training, tasks),
        training.integer("eval-every", 0, 0, Integer.MAX_VALUE),
        training.integer("checkpoint-every", 0, 0, Integer.MAX_VALUE),
        FineTuning.read(training, optimizer.learningRate()),
        Distillation.read(training, tasks, output.resolve(RunConfig.SINGLE_TASK_DIR)),
        training.oneOf("task-batches", "shared", Set.of("shared", "per-task")).equals("per-task"));
  }

  /**
   * Steps per epoch: the configured number, else the sampler's default for sources of these sizes
   * (one pass over the largest source when every source trains every step), capped by {@code
   * max-steps-per-epoch}.
   */
  public int stepsPerEpoch(int[] sourceSizes, TaskSampler sampler) {
    int[] batches = Arrays.stream(sourceSizes).map(n -> (n + batchSize - 1) / batchSize).toArray();
    int steps = stepsPerEpoch > 0 ? stepsPerEpoch : sampler.defaultStepsPerEpoch(batches);
    return maxStepsPerEpoch > 0 ? Math.min(maxStepsPerEpoch, steps) : steps;
  }
}
