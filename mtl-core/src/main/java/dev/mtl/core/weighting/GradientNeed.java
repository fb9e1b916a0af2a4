package dev.mtl.core.weighting;

/** What the engine must compute in a training step before it asks a weighting for task weights. */
public enum GradientNeed {
  /** Per-task losses only (equal, fixed, uncertainty, DWA, ...). */
  LOSSES_ONLY,
  /** Also the T x T Gramian of per-task gradients on the shared representation (cheap). */
  GRAMIAN_ON_REPRESENTATION,
  /** Also the T x T Gramian of per-task gradients on the shared parameters (exact, costlier). */
  GRAMIAN_ON_PARAMETERS,
  /**
   * The per-task gradients on the shared representation themselves, with their Gramian, for
   * weightings that combine them coordinate by coordinate ({@link LossWeighting#combine}); as cheap
   * as {@link #GRAMIAN_ON_REPRESENTATION} plus one copy of the gradients to the JVM.
   */
  GRADIENTS_ON_REPRESENTATION,
  /**
   * For bilevel weightings (Auto-Lambda, MOML, FORUM): the trainer draws a second batch of training
   * data each step (the meta batch), and the engine computes each task's loss on it and the Gramian,
   * over every trained parameter, of the tasks' training gradients and their meta-batch gradients
   * ({@link MetaGradients}). About twice a losses-only step, plus one backward pass per task each.
   */
  GRAMIAN_WITH_META_BATCH;

  /** Whether the engine measures gradients on the shared representation (detaching the heads there). */
  public boolean onRepresentation() {
    return this == GRAMIAN_ON_REPRESENTATION || this == GRADIENTS_ON_REPRESENTATION;
  }
}
