package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * GradDrop, gradient sign dropout (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai and Anguelov, "Just
 * Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020; LibMTL's
 * {@code GradDrop}). On the shared representation, each feature j gets a sign purity
 * {@code P_j = ½(1 + Σ_t s_tj / Σ_t |s_tj|)} from the tasks' batch-summed, input-signed gradients
 * {@code s_tj = Σ_b g_t[b,j] sign(x[b,j])}; a uniform draw {@code U_j} then keeps, at that feature,
 * only the tasks whose {@code s_tj} is positive (if {@code P_j > U_j}) or negative (otherwise), so
 * the layers below get gradients of one consistent sign per feature. {@code leak} (0..1) lets that
 * share of every dropped gradient through. Where all tasks agree in sign nothing is dropped. The
 * heads get their own losses' gradients (weight 1). Draws come from {@code seed} and the step, so a
 * resumed run drops what an uninterrupted one drops.
 *
 * <pre>
 * weighting: {type: graddrop, leak: 0.0, seed: 0}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class GradDropWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "graddrop";
  }

  @Override
  public String description() {
    return "per feature, keep only task gradients of one randomly chosen sign on the representation (GradDrop, Chen et al. 2020)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double leak = settings.number("leak", 0, 0, 1);
    long seed = settings.longValue("seed", 0);
    return new RepresentationWeighting() {
      @Override
      public Optional<float[]> combine(WeightingInput input, double[] weights) {
        RepresentationGradients g = gradients(input, "graddrop");
        SplittableRandom random = new SplittableRandom(seed ^ (input.step() * 0x9E3779B97F4A7C15L));
        double[] draws = new double[g.width()];
        for (int j = 0; j < draws.length; j++) {
          draws[j] = random.nextDouble();
        }
        return Optional.of(drop(g, draws, leak));
      }
    };
  }

  /** GradDrop's combined gradient for the given uniform draws, one per feature. */
  static float[] drop(RepresentationGradients g, double[] draws, double leak) {
    int tasks = g.byTask().size();
    int rows = g.rows();
    int width = g.width();
    double[][] signed = new double[tasks][width];
    for (int t = 0; t < tasks; t++) {
      float[] gradient = g.byTask().get(t);
      for (int b = 0; b < rows; b++) {
        for (int j = 0; j < width; j++) {
          signed[t][j] += gradient[b * width + j] * Math.signum(g.values()[b * width + j]);
        }
      }
    }
    double[][] keep = new double[tasks][width];
    for (int j = 0; j < width; j++) {
      double sum = 0;
      double magnitude = 0;
      for (int t = 0; t < tasks; t++) {
        sum += signed[t][j];
        magnitude += Math.abs(signed[t][j]);
      }
      double purity = 0.5 * (1 + sum / (magnitude + 1e-7));
      for (int t = 0; t < tasks; t++) {
        boolean kept = purity > draws[j] ? signed[t][j] > 0 : purity < draws[j] && signed[t][j] < 0;
        keep[t][j] = leak + (1 - leak) * (kept ? 1 : 0);
      }
    }
    float[] combined = new float[rows * width];
    for (int t = 0; t < tasks; t++) {
      float[] gradient = g.byTask().get(t);
      for (int b = 0; b < rows; b++) {
        for (int j = 0; j < width; j++) {
          combined[b * width + j] += (float) (gradient[b * width + j] * keep[t][j]);
        }
      }
    }
    return combined;
  }
}
