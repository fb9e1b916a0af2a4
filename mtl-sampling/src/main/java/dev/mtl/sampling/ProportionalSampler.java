package dev.mtl.sampling;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;

/** One source per step, chosen with probability proportional to its size (Sanh et al. 2019): {@code p_i ∝ n_i^1.0}. */
@AutoService(TaskSamplerProvider.class)
public final class ProportionalSampler implements TaskSamplerProvider {
  @Override
  public String name() {
    return "proportional";
  }

  @Override
  public String description() {
    return "one source per step, chosen with probability proportional to its size (Sanh et al. 2019)";
  }

  @Override
  public TaskSampler create(ConfigSection settings) {
    return PowerLaw.oneSourcePerStep(step -> PowerLaw.draw(step, 1.0));
  }
}
