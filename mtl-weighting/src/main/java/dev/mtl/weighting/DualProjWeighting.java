package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * DualProj: the mean task gradient projected onto the dual cone of all task gradients, the
 * directions that conflict with none (the projection of GEM, Lopez-Paz and Ranzato, "Gradient
 * Episodic Memory for Continual Learning", NeurIPS 2017, as torchjd applies it to the mean; Quinton
 * and Rey 2024). In Gramian form: with {@code u = (1/T, ..., 1/T)} the update is {@code Jᵀv} for
 * {@code v = argmin_{v ≥ u} vᵀGv}; every task's gradient then has a non-negative inner product with
 * it ({@code Gv ≥ 0}), and where the mean conflicts with no task, {@code v = u}.
 *
 * <pre>
 * weighting: {type: dualproj, gramian: representation}   # or parameters
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class DualProjWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "dualproj";
  }

  @Override
  public String description() {
    return "the mean gradient projected onto the dual cone of the task gradients (GEM, Lopez-Paz & Ranzato 2017)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return projectedMean(gramian);
      }
    };
  }

  static double[] projectedMean(double[][] gramian) {
    int n = gramian.length;
    return Matrices.minimizeQuadratic(gramian, new double[n], Matrices.filled(n, 1.0 / n), false);
  }
}
