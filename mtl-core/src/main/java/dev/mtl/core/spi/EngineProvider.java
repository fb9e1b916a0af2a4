package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;

/** Creates an execution engine (e.g. DJL PyTorch) from its config section. Register with {@code @AutoService}. */
public interface EngineProvider extends Plugin {
  /**
   * Reads and checks the settings, recording problems on the section. Must be cheap: native
   * libraries start when the engine first builds or loads a network, not here.
   */
  Engine create(ConfigSection settings);
}
