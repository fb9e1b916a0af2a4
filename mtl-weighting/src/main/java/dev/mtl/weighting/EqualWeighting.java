package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;

/** Every task's loss counts the same: the plain sum of task losses. */
@AutoService(LossWeightingProvider.class)
public final class EqualWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "equal";
  }

  @Override
  public String description() {
    return "weight 1 for every task";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return (WeightingInput input) -> {
      double[] w = new double[input.tasks().size()];
      Arrays.fill(w, 1.0);
      return w;
    };
  }
}
