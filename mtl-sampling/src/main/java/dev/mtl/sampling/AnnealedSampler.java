package dev.mtl.sampling;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;

/**
 * Annealed sampling (Stickland and Murray, "BERT and PALs", ICML 2019): one source per step with
 * {@code p_i ∝ n_i^α}, α falling linearly over training from 1 (proportional to size) to
 * {@code final-exponent} (default 0.2 as in the paper; 0 ends uniform), so small tasks get more
 * of the later steps.
 *
 * <pre>
 * sampling: {type: annealed, final-exponent: 0.2}
 * </pre>
 */
@AutoService(TaskSamplerProvider.class)
public final class AnnealedSampler implements TaskSamplerProvider {
  @Override
  public String name() {
    return "annealed";
  }

  @Override
  public String description() {
    return "one task (source) per step, p ∝ n^α with α from 1 down to final-exponent (0.2)";
  }

  @Override
  public TaskSampler create(ConfigSection settings) {
    double finalExponent = settings.number("final-exponent", 0.2, 0, 1);
    return PowerLaw.oneSourcePerStep(step -> PowerLaw.draw(step, exponent(step.progress(), finalExponent)));
  }

  static double exponent(double progress, double finalExponent) {
    return 1 - (1 - finalExponent) * progress;
  }
}
