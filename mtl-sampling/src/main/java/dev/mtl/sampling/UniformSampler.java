package dev.mtl.sampling;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;

/** One source per step, each equally likely: {@code p_i ∝ n_i^0.0}. */
@AutoService(TaskSamplerProvider.class)
public final class UniformSampler implements TaskSamplerProvider {
  @Override
  public String name() {
    return "uniform";
  }

  @Override
  public String description() {
    return "one source per step, each equally likely";
  }

  @Override
  public TaskSampler create(ConfigSection settings) {
    return PowerLaw.oneSourcePerStep(step -> PowerLaw.draw(step, 0.0));
  }
}
