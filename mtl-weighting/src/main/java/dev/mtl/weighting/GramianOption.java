package dev.mtl.weighting;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.weighting.GradientNeed;
import java.util.Set;

/**
 * The {@code gramian} setting of gradient-based weightings: where task gradients are measured.
 * {@code representation} (default): on the output every task reads (one backward pass per task
 * through the heads only; cheap). {@code parameters}: on the parameters tasks share (one full
 * backward pass per task; exact).
 */
final class GramianOption {
  static final String KEY = "gramian";

  private GramianOption() {}

  static GradientNeed read(ConfigSection settings) {
    String choice = settings.oneOf(KEY, "representation", Set.of("representation", "parameters"));
    return "parameters".equals(choice) ? GradientNeed.GRAMIAN_ON_PARAMETERS : GradientNeed.GRAMIAN_ON_REPRESENTATION;
  }
}
