package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.Map;

/**
 * IMTL, impartial multi-task learning in full (Liu et al., "Towards Impartial Multi-task Learning",
 * ICLR 2021): the losses are scaled by learned {@code e^{s_t}} (IMTL-L, so no loss dominates by its
 * size), and the scaled gradients {@code e^{s_t} g_t} are combined as IMTL-G does, with equal
 * projections on every task's unit gradient (so no gradient dominates by its direction). In
 * Gramian form the scaled Gramian is {@code e^{s_i} e^{s_j} G_ij}; the weight of task t is
 * {@code α_t e^{s_t}}.
 *
 * <pre>
 * weighting: {type: imtl, learning-rate: 0.001, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ImtlWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "imtl";
  }

  @Override
  public String description() {
    return "learned loss scales (IMTL-L) and equal gradient projections (IMTL-G) together (Liu et al. 2021)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    ImtlLWeighting.Scales scales = new ImtlLWeighting.Scales(taskNames, settings.number("learning-rate", 0.001, 1e-8, 10));
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        double[] scale = scales.current(input);
        double[] w = scaledProjections(gramian, scale);
        scales.learn(input, scale);
        return w;
      }

      @Override
      public Map<String, double[]> state() {
        return scales.state();
      }

      @Override
      public void restore(Map<String, double[]> state) {
        scales.restore(state);
      }
    };
  }

  /** IMTL-G's weights on the gradients scaled by {@code scale}, as weights on the unscaled ones. */
  static double[] scaledProjections(double[][] gramian, double[] scale) {
    int n = gramian.length;
    double[][] scaled = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        scaled[i][j] = scale[i] * scale[j] * gramian[i][j];
      }
    }
    double[] alpha = ImtlGWeighting.impartial(scaled);
    double[] w = new double[n];
    for (int t = 0; t < n; t++) {
      w[t] = alpha[t] * scale[t];
    }
    return w;
  }
}
