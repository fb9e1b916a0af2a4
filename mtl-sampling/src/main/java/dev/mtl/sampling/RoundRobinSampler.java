package dev.mtl.sampling;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;

/** One source per step, in turn: step s trains source {@code s mod S}. */
@AutoService(TaskSamplerProvider.class)
public final class RoundRobinSampler implements TaskSamplerProvider {
  @Override
  public String name() {
    return "round-robin";
  }

  @Override
  public String description() {
    return "one task (source) per step, in turn";
  }

  @Override
  public TaskSampler create(ConfigSection settings) {
    return PowerLaw.oneSourcePerStep(step -> (int) (step.step() % step.sizes().length));
  }
}
