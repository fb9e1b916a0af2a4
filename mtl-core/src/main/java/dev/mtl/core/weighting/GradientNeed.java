package dev.mtl.core.weighting;

/** What the engine must compute in a training step before it asks a weighting for task weights. */
public enum GradientNeed {
  /** Per-task losses only (equal, fixed, uncertainty, DWA, ...). */
  LOSSES_ONLY,
  /** Also the T x T Gramian of per-task gradients on the shared representation (cheap). */
  GRAMIAN_ON_REPRESENTATION,
  /** Also the T x T Gramian of per-task gradients on the shared parameters (exact, costlier). */
  GRAMIAN_ON_PARAMETERS
}
