package dev.mtl.core.sampling;

import java.util.Arrays;

/**
 * Chooses which data sources train in each step (tasks over the same texts form one source and
 * train together, unless {@code training.task-batches: per-task} gives each task its own). A
 * sampler is a function of the step, the run's progress and seed: it keeps no state, so a run
 * resumed at step s draws exactly what an uninterrupted run draws there.
 */
public interface TaskSampler {
  /** Indices into {@link SamplingStep#sizes()} of the sources that get a batch this step; never empty. */
  int[] sources(SamplingStep step);

  /**
   * Steps in an epoch when the config sets none, from each source's batches per full pass: the
   * largest (every source every step) unless the sampler draws fewer sources per step.
   */
  default int defaultStepsPerEpoch(int[] batchesPerSource) {
    return Arrays.stream(batchesPerSource).max().orElse(0);
  }

  /**
   * The most of {@code sources} data sources that one step trains: all of them unless the sampler
   * draws fewer. Checked before training against what the weighting needs in a step: a weighting
   * that combines the gradients of a step's tasks does nothing when every step trains one task, and
   * one that keeps state over all tasks needs every source in every step.
   */
  default int mostSourcesPerStep(int sources) {
    return sources;
  }
}
