package dev.mtl.core.weighting;

import java.util.Arrays;

/**
 * What bilevel weightings see of a step's meta batch ({@link GradientNeed#GRAMIAN_WITH_META_BATCH}):
 * a second batch of training data, drawn independently of the step's own, on which the engine
 * measures how a step along each task's training gradient would change each task's loss.
 *
 * <p>{@code gramian} is {@code 2T x 2T} over every trained parameter (task heads included): rows and
 * columns {@code 0..T-1} are the tasks' training-loss gradients {@code g_t}, rows {@code T..2T-1}
 * the meta-batch loss gradients {@code h_s}, both in the order of {@link WeightingInput#tasks()}. A
 * task no row of the meta batch labels has meta loss 0 and a zero meta gradient.
 *
 * @param losses each task's loss on the meta batch
 * @param gramian inner products of {@code [g_1..g_T, h_1..h_T]}
 */
public record MetaGradients(double[] losses, double[][] gramian) {
  public MetaGradients {
    losses = losses.clone();
    gramian = Arrays.stream(gramian).map(double[]::clone).toArray(double[][]::new);
    int tasks = losses.length;
    if (gramian.length != 2 * tasks || Arrays.stream(gramian).anyMatch(row -> row.length != 2 * tasks)) {
      throw new IllegalArgumentException("the meta Gramian must be " + 2 * tasks + " x " + 2 * tasks + " for " + tasks + " tasks");
    }
  }

  /** ⟨h_s, g_t⟩: to first order, how much one unit step along task t's training gradient lowers task s's meta loss. */
  public double alignment(int metaTask, int trainingTask) {
    return gramian[losses.length + metaTask][trainingTask];
  }

  /** ⟨g_s, g_t⟩ over every trained parameter (the heads included, unlike a Gramian on the shared parameters). */
  public double training(int s, int t) {
    return gramian[s][t];
  }

  /** ⟨h_s, h_r⟩ over every trained parameter. */
  public double meta(int s, int r) {
    return gramian[losses.length + s][losses.length + r];
  }
}
