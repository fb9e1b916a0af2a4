package dev.mtl.core.weighting;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a weighting sees in one training step.
 *
 * @param step 0-based optimizer step
 * @param epoch 0-based epoch
 * @param tasks task names, in the order of {@code losses} and the Gramian's rows
 * @param losses this step's loss of each task
 * @param gramian inner products of per-task gradients, present when the weighting's {@link
 *     LossWeighting#need()} asks for it
 * @param gradients the per-task gradients on the shared representation, present when the need is
 *     {@link GradientNeed#GRADIENTS_ON_REPRESENTATION}
 * @param meta the meta batch's losses and gradient inner products, present when the need is {@link
 *     GradientNeed#GRAMIAN_WITH_META_BATCH}
 */
public record WeightingInput(long step, int epoch, List<String> tasks, double[] losses, Optional<double[][]> gramian,
    Optional<RepresentationGradients> gradients, Optional<MetaGradients> meta) {
  public WeightingInput {
    tasks = List.copyOf(tasks);
    // Copies: a weighting may change what it was given without changing the engine's record of the step.
    losses = losses.clone();
    gramian = gramian.map(g -> Arrays.stream(g).map(double[]::clone).toArray(double[][]::new));
    if (losses.length != tasks.size()) {
      throw new IllegalArgumentException(losses.length + " losses for " + tasks.size() + " tasks");
    }
    int taskGradients = gradients.map(g -> g.byTask().size()).orElse(tasks.size());
    if (taskGradients != tasks.size()) {
      throw new IllegalArgumentException(taskGradients + " task gradients for " + tasks.size() + " tasks");
    }
    int metaLosses = meta.map(m -> m.losses().length).orElse(tasks.size());
    if (metaLosses != tasks.size()) {
      throw new IllegalArgumentException(metaLosses + " meta-batch losses for " + tasks.size() + " tasks");
    }
  }

  /** A step's input with representation gradients and no meta batch. */
  public WeightingInput(long step, int epoch, List<String> tasks, double[] losses, Optional<double[][]> gramian,
      Optional<RepresentationGradients> gradients) {
    this(step, epoch, tasks, losses, gramian, gradients, Optional.empty());
  }

  /** A step's input without representation gradients (every need but {@link GradientNeed#GRADIENTS_ON_REPRESENTATION}). */
  public WeightingInput(long step, int epoch, List<String> tasks, double[] losses, Optional<double[][]> gramian) {
    this(step, epoch, tasks, losses, gramian, Optional.empty(), Optional.empty());
  }
}
