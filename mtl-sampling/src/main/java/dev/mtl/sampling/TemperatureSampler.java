package dev.mtl.sampling;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;

/**
 * One source per step with {@code p_i ∝ n_i^(1/T)} (temperature sampling, as in multilingual
 * and multi-task NMT, Arivazhagan et al. 2019): T = 1 is proportional, large T approaches uniform.
 *
 * <pre>
 * sampling: {type: temperature, temperature: 2.0}
 * </pre>
 */
@AutoService(TaskSamplerProvider.class)
public final class TemperatureSampler implements TaskSamplerProvider {
  @Override
  public String name() {
    return "temperature";
  }

  @Override
  public String description() {
    return "one task (source) per step, p ∝ n^(1/T), temperature: 2";
  }

  @Override
  public TaskSampler create(ConfigSection settings) {
    double temperature = settings.number("temperature", 2.0, 1e-3, 1e6);
    return PowerLaw.oneSourcePerStep(step -> PowerLaw.draw(step, 1 / temperature));
  }
}
