package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;

/**
 * Aligned-MTL (Senushkin et al., "Independent Component Alignment for Multi-Task Learning", CVPR
 * 2023): makes the system of task gradients well conditioned before summing it. With
 * {@code G = VΛVᵀ}, the balance matrix {@code B = √λ_min · V Λ^{-1/2} Vᵀ} (over the non-zero
 * eigenvalues) turns the gradients into orthogonal components of equal norm √λ_min; the weights
 * are {@code B·1}. They can be negative.
 *
 * <pre>
 * weighting: {type: aligned-mtl, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class AlignedMtlWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "aligned-mtl";
  }

  @Override
  public String description() {
    return "align task gradients to equal, orthogonal components (Senushkin et al. 2023)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        return Matrices.times(balance(gramian), Matrices.filled(gramian.length, 1));
      }
    };
  }

  /** B = √λ_min · V Λ^{-1/2} Vᵀ over eigenvalues above float32 rounding of the largest. */
  static double[][] balance(double[][] gramian) {
    int n = gramian.length;
    Matrices.Eigen eigen = Matrices.symmetricEigen(gramian);
    double tolerance = eigen.values()[0] * n * 1.2e-7;
    int rank = 0;
    while (rank < n && eigen.values()[rank] > tolerance) {
      rank++;
    }
    double[][] b = new double[n][n];
    if (rank == 0) {
      return b;
    }
    double smallest = Math.sqrt(eigen.values()[rank - 1]);
    for (int k = 0; k < rank; k++) {
      double f = smallest / Math.sqrt(eigen.values()[k]);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          b[i][j] += f * eigen.vectors()[i][k] * eigen.vectors()[j][k];
        }
      }
    }
    return b;
  }
}
