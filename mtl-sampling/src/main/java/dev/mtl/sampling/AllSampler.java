package dev.mtl.sampling;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;
import java.util.stream.IntStream;

/**
 * Every source trains every step (the default): each step sums every task's loss; smaller
 * datasets cycle. An epoch is one pass over the largest source.
 */
@AutoService(TaskSamplerProvider.class)
public final class AllSampler implements TaskSamplerProvider {
  @Override
  public String name() {
    return "all";
  }

  @Override
  public String description() {
    return "every task every step (default)";
  }

  @Override
  public TaskSampler create(ConfigSection settings) {
    return step -> IntStream.range(0, step.sizes().length).toArray();
  }
}
