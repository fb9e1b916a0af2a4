package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * Geometric loss strategy (Chennupati et al., "MultiNet++: Multi-Stream Feature Aggregation and
 * Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019): minimise the geometric
 * mean {@code (Π L_t)^{1/T}}, which is invariant to each loss's scale. Its gradient is
 * {@code Σ_t (L_gm / (T·L_t)) ∇L_t}, so the weights {@code L_gm / (T·L_t)} (held constant in the
 * backward pass) give exactly the geometric mean's gradient. Losses are floored at 1e-12.
 *
 * <pre>
 * weighting: gls
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class GlsWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "gls";
  }

  @Override
  public String description() {
    return "geometric mean of task losses (Chennupati et al. 2019)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return (WeightingInput input) -> geometric(input.losses());
  }

  static double[] geometric(double[] losses) {
    int n = losses.length;
    double logMean = 0;
    for (double loss : losses) {
      logMean += Math.log(Math.max(loss, 1e-12)) / n;
    }
    double mean = Math.exp(logMean);
    double[] w = new double[n];
    for (int t = 0; t < n; t++) {
      w[t] = mean / (n * Math.max(losses[t], 1e-12));
    }
    return w;
  }
}
