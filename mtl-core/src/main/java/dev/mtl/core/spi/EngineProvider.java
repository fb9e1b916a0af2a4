package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;

/** Creates an execution engine (e.g. DJL PyTorch) from its config section. Register with {@code @AutoService}. */
public interface EngineProvider extends Plugin {
  Engine create(ConfigSection settings);
}
