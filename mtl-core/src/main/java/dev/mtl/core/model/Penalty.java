package dev.mtl.core.model;

import java.util.List;

/**
 * A regulariser on parameters, added to the training loss as {@code lambda · value}. It pairs the
 * parameters of the given layers by name suffix (e.g. {@code column.a.encoder.conv3.weight} with
 * {@code column.b.encoder.conv3.weight}).
 *
 * @param kind what is measured
 * @param lambda its weight in the loss
 * @param layerIds the layers whose own parameters it covers
 */
public record Penalty(Kind kind, double lambda, List<String> layerIds) {
  public Penalty {
    layerIds = List.copyOf(layerIds);
    if (lambda < 0 || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("a penalty's lambda must be finite and not negative, got " + lambda);
    }
  }

  /** The measures engines implement. */
  public enum Kind {
    /** Σ over pairs i &lt; j of ‖θ_i − θ_j‖² (soft sharing, Duong et al. 2015). */
    PAIRWISE_DISTANCE,
    /** Σ_i ‖θ_i − mean(θ)‖²: each column pulled to the columns' mean. */
    DISTANCE_TO_MEAN,
    /** Σ_i ‖θ_i‖²: keeps private parameters small. */
    SQUARED_NORM
  }
}
