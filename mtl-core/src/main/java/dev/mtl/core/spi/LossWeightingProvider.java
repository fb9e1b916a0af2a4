package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.weighting.LossWeighting;
import java.util.List;

/** Creates a loss weighting for the given tasks from its config section. Register with {@code @AutoService}. */
public interface LossWeightingProvider extends Plugin {
  LossWeighting create(ConfigSection settings, List<String> taskNames);
}
