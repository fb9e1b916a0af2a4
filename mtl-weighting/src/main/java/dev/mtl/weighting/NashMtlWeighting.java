package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * Nash-MTL: the update as the Nash bargaining solution among tasks (Navon et al., "Multi-Task
 * Learning as a Bargaining Game", ICML 2022), the positive α with {@code (Gα)_i = 1/α_i} for every
 * task. That is exactly the minimiser of the strictly convex {@code ½αᵀGα − Σ log α_i}, which is
 * solved by Newton's method (FairGrad's solver at α = 1; the authors iterate convex approximations with cvxpy). As in
 * their code the Gramian is first divided by its norm; a ridge of 1e-4 on that keeps α finite
 * when task gradients are linearly dependent. Weights are positive.
 *
 * <pre>
 * weighting: {type: nash-mtl, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class NashMtlWeighting implements LossWeightingProvider {
  static final double RIDGE = 1e-4;

  @Override
  public String name() {
    return "nash-mtl";
  }

  @Override
  public String description() {
    return "Nash bargaining solution among task gradients (Navon et al. 2022)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return bargain(gramian);
      }
    };
  }

  /** The Gramian as the solver sees it: divided by its norm, plus the ridge. */
  static double[][] normalized(double[][] gramian) {
    return Matrices.plusIdentity(Matrices.scaled(gramian, 1 / Matrices.frobenius(gramian)), RIDGE);
  }

  /** The bargaining solution: α-fairness with α = 1 ({@link FairGradWeighting#fair}) on the normalised Gramian. */
  static double[] bargain(double[][] gramian) {
    return FairGradWeighting.fair(normalized(gramian), 1);
  }
}
