package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.SharingStrategy;
import java.util.List;

/** Creates a sharing strategy from its config section. Register with {@code @AutoService}. */
public interface SharingStrategyProvider extends Plugin {
  /**
   * Reads and checks the settings against the run's tasks (e.g. a depth per task), recording every
   * problem on the section with the valid range, so a bad option fails when the config loads.
   */
  SharingStrategy create(ConfigSection settings, List<String> taskNames);
}
