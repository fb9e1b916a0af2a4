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
 */
public record WeightingInput(long step, int epoch, List<String> tasks, double[] losses, Optional<double[][]> gramian) {
  public WeightingInput {
    tasks = List.copyOf(tasks);
    // Copies: a weighting may change what it was given without changing the engine's record of the step.
    losses = losses.clone();
    gramian = gramian.map(g -> Arrays.stream(g).map(double[]::clone).toArray(double[][]::new));
    if (losses.length != tasks.size()) {
      throw new IllegalArgumentException(losses.length + " losses for " + tasks.size() + " tasks");
    }
  }
}
