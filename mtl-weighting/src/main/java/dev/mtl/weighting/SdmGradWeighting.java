package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * SDMGrad's direction-oriented update (Xiao, Ban and Ji, "Direction-oriented Multi-objective
 * Learning: Simple and Provable Stochastic Algorithms", NeurIPS 2023), in its deterministic form:
 * MGDA's min-norm search regularised toward the average gradient {@code g₀},
 * {@code w* = argmin_{w ∈ simplex} ½‖Jᵀw‖² + λ⟨Jᵀw, g₀⟩}, and the update
 * {@code d = (Jᵀw* + λ g₀)/(1 + λ)}. λ = 0 is MGDA; a large λ approaches the plain average. In
 * Gramian form with {@code u = (1/T, ..., 1/T)}: minimise {@code ½wᵀGw + λ wᵀGu} on the simplex;
 * the weights are {@code (w* + λu)/(1 + λ)}. (The paper's stochastic double sampling of batches is
 * not part of it: each step here sees one batch per source.)
 *
 * <pre>
 * weighting: {type: sdmgrad, lambda: 0.3, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class SdmGradWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "sdmgrad";
  }

  @Override
  public String description() {
    return "MGDA regularised toward the average gradient (SDMGrad, Xiao et al. 2023)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double lambda = settings.number("lambda", 0.3, 0, 1000);
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return directionOriented(gramian, lambda);
      }
    };
  }

  static double[] directionOriented(double[][] gramian, double lambda) {
    int n = gramian.length;
    double[] u = Matrices.filled(n, 1.0 / n);
    double[] linear = Matrices.times(gramian, u);
    for (int i = 0; i < n; i++) {
      linear[i] *= lambda;
    }
    double[] w = Matrices.minimizeQuadratic(gramian, linear, new double[n], true);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = (w[i] + lambda * u[i]) / (1 + lambda);
    }
    return out;
  }
}
