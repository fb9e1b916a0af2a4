package dev.mtl.core.engine;

import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.GramianChoice;
import dev.mtl.core.weighting.LossWeighting;
import java.util.List;
import java.util.Objects;

/**
 * One optimizer step, as {@link Network#trainStep} takes it.
 *
 * @param batches one batch per data source; every task appears in exactly one
 * @param weighting gives the tasks' weights (the engine computes the Gramian first if it needs one)
 * @param step 0-based optimizer step, passed on to the weighting
 * @param epoch 0-based epoch, passed on to the weighting
 * @param learningRate this step's rate: the trainer's schedule decides it, the engine keeps none
 * @param measure a Gramian to compute for the record when the weighting needs none ({@link
 *     GradientNeed#LOSSES_ONLY} for none); it never changes the update (see {@link GramianChoice})
 * @param metaBatches for a weighting that needs {@link GradientNeed#GRAMIAN_WITH_META_BATCH}: a second
 *     batch from each source in {@code batches}, drawn independently of it; empty otherwise
 */
public record TrainStep(List<SourceBatch> batches, LossWeighting weighting, long step, int epoch, double learningRate,
    GradientNeed measure, List<SourceBatch> metaBatches) {
  /** A step without meta batches (every weighting but the bilevel ones). */
  public TrainStep(List<SourceBatch> batches, LossWeighting weighting, long step, int epoch, double learningRate,
      GradientNeed measure) {
    this(batches, weighting, step, epoch, learningRate, measure, List.of());
  }

  public TrainStep {
    batches = List.copyOf(batches);
    metaBatches = List.copyOf(metaBatches);
    if (weighting != null && weighting.need() == GradientNeed.GRAMIAN_WITH_META_BATCH && metaBatches.isEmpty()) {
      throw new IllegalArgumentException("the weighting " + weighting.getClass().getSimpleName() + " needs meta batches (a second"
          + " batch of training data per source) in each step, and the step has none");
    }
    Objects.requireNonNull(weighting, "weighting");
    Objects.requireNonNull(measure, "measure");
    if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate " + learningRate + " at step " + step + " must be finite and not negative");
    }
  }
}
