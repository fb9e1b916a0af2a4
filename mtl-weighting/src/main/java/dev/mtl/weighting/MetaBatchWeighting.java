package dev.mtl.weighting;

import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.WeightingInput;

/**
 * A bilevel weighting: the task weights are themselves trained, to lower the tasks' losses on a
 * second batch (the meta batch) after a step on the weighted training losses. All three methods
 * here use the first-order hypergradient: a step {@code θ' = θ − α Σ_t λ_t g_t} changes meta loss s
 * by {@code ∂L_s(θ')/∂λ_t = −α ⟨h_s(θ'), g_t⟩}, taken at {@code θ} instead of {@code θ'} (exact as
 * α → 0; the papers' virtual step moves θ by one learning rate's worth). The positive factor α drops
 * out: each method steps its weights with Adam or normalises the hypergradient.
 */
abstract class MetaBatchWeighting implements LossWeighting {
  @Override
  public final GradientNeed need() {
    return GradientNeed.GRAMIAN_WITH_META_BATCH;
  }

  static MetaGradients meta(WeightingInput input, String method) {
    return input.meta().orElseThrow(() -> new IllegalStateException(method
        + " needs the meta batch's losses and gradient inner products, but the engine passed none"));
  }

  /** The Jacobian of softmax at {@code z = softmax(ξ)}: {@code diag(z) − z zᵀ} (symmetric). */
  static double[][] softmaxJacobian(double[] z) {
    int n = z.length;
    double[][] j = new double[n][n];
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        j[a][b] = (a == b ? z[a] : 0) - z[a] * z[b];
      }
    }
    return j;
  }
}
