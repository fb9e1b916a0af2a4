package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;

/** Creates a task sampler from its config section. Register with {@code @AutoService}. */
public interface TaskSamplerProvider extends Plugin {
  TaskSampler create(ConfigSection settings);
}
