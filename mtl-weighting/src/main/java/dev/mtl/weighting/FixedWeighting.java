package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.Map;

/**
 * Fixed per-task weights λ_t, the classic hand-tuned weighted sum {@code Σ λ_t L_t}:
 *
 * <pre>
 * weighting:
 *   type: fixed
 *   weights: {sentiment: 1.0, emotion: 2.0}   # tasks not listed get `default` (1.0)
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class FixedWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "fixed";
  }

  @Override
  public String description() {
    return "hand-set weight per task (weights: {task: λ}), others `default`";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    Map<String, Double> given = settings.numbers("weights");
    double fallback = settings.number("default", 1.0, 0, Double.MAX_VALUE);
    given.forEach((task, weight) -> {
      if (!taskNames.contains(task)) {
        settings.problem("weights." + task, weight, "must name a task of this run; tasks: " + taskNames);
      } else if (weight < 0) {
        settings.problem("weights." + task, weight, "must not be negative");
      }
    });
    return (WeightingInput input) -> input.tasks().stream().mapToDouble(t -> given.getOrDefault(t, fallback)).toArray();
  }
}
