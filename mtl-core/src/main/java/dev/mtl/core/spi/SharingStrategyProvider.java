package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.SharingStrategy;

/** Creates a sharing strategy from its config section. Register with {@code @AutoService}. */
public interface SharingStrategyProvider extends Plugin {
  SharingStrategy create(ConfigSection settings);
}
