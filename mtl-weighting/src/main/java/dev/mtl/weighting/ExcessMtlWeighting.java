package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ExcessMTL (He, Zhou, Zhao and Liu, "Robust Multi-Task Learning with Excess Risks", ICML 2024;
 * LibMTL's {@code ExcessMTL} with representation gradients). Weights tasks by how far each is from
 * its own best loss rather than by the loss itself, so a task with noisy labels (a high loss it
 * cannot reduce) does not take over. Task t's excess risk is estimated by a second-order expansion,
 * {@code e_t = Σ_j g_tj² / √(Σ_steps g_tj²)}, from its batch-summed gradient g_t on the shared
 * representation and the running sum of its squares (AdaGrad's diagonal Hessian proxy). The first
 * step's estimates are the reference; afterwards the weights grow multiplicatively,
 * {@code w_t ← w_t exp(η e_t / e_t(first))}, renormalised to sum T. The weights start at 1; they,
 * the sums of squares and the reference are saved with checkpoints. Every step must train all the
 * run's tasks (a config whose sampler trains one dataset per step fails before training).
 *
 * <pre>
 * weighting: {type: excess-mtl, step-size: 0.01}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ExcessMtlWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "excess-mtl";
  }

  @Override
  public String description() {
    return "multiplicative weights from each task's estimated excess risk, robust to label noise (ExcessMTL, He et al. 2024)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    Estimator estimator = new Estimator(taskNames.size(), settings.number("step-size", 0.01, 0, 100));
    return new RepresentationWeighting() {
      @Override
      public boolean needsEveryTaskEachStep() {
        return true;
      }

      @Override
      public double[] weights(WeightingInput input) {
        if (!input.tasks().equals(taskNames)) {
          throw new IllegalStateException("excess-mtl compares every task's excess risk with its first step's, but step "
              + input.step() + " trains " + input.tasks() + " of " + taskNames + "; use it with sampling: all");
        }
        RepresentationGradients g = gradients(input, "excess-mtl");
        return estimator.step(batchSummed(g));
      }

      @Override
      public Map<String, double[]> state() {
        return estimator.state();
      }

      @Override
      public void restore(Map<String, double[]> state) {
        estimator.restore(state);
      }
    };
  }

  /** Each task's gradient summed over the batch's rows: one value per feature. */
  static double[][] batchSummed(RepresentationGradients g) {
    double[][] out = new double[g.byTask().size()][g.width()];
    for (int t = 0; t < out.length; t++) {
      float[] gradient = g.byTask().get(t);
      for (int b = 0; b < g.rows(); b++) {
        for (int j = 0; j < g.width(); j++) {
          out[t][j] += gradient[b * g.width() + j];
        }
      }
    }
    return out;
  }

  /** ExcessMTL's state and update, separate from the config so tests drive it with hand-worked numbers. */
  static final class Estimator {
    private final int n;
    private final double stepSize;
    private double[] weights;
    private double[][] squares;
    private double[] reference;

    Estimator(int n, double stepSize) {
      this.n = n;
      this.stepSize = stepSize;
      this.weights = Matrices.filled(n, 1);
    }

    double[] step(double[][] gradients) {
      if (squares == null || squares[0].length != gradients[0].length) {
        squares = new double[n][gradients[0].length];
      }
      double[] excess = new double[n];
      for (int t = 0; t < n; t++) {
        for (int j = 0; j < gradients[t].length; j++) {
          double g = gradients[t][j];
          squares[t][j] += g * g;
          excess[t] += g * g / Math.sqrt(squares[t][j] + 1e-7);
        }
      }
      if (reference == null) {
        reference = excess;
        return weights.clone();
      }
      double total = 0;
      for (int t = 0; t < n; t++) {
        double relative = reference[t] > 0 ? excess[t] / reference[t] : 0;
        weights[t] *= Math.exp(stepSize * relative);
        total += weights[t];
      }
      for (int t = 0; t < n; t++) {
        weights[t] = weights[t] / total * n;
      }
      return weights.clone();
    }

    Map<String, double[]> state() {
      Map<String, double[]> state = new LinkedHashMap<>();
      state.put("weights", weights.clone());
      if (reference != null) {
        state.put("reference", reference.clone());
        state.put("squares", Arrays.stream(squares).flatMapToDouble(Arrays::stream).toArray());
      }
      return state;
    }

    void restore(Map<String, double[]> state) {
      weights = state.get("weights").clone();
      double[] saved = state.get("reference");
      reference = saved == null ? null : saved.clone();
      double[] flat = state.get("squares");
      if (flat != null) {
        int width = flat.length / n;
        squares = new double[n][];
        for (int t = 0; t < n; t++) {
          squares[t] = Arrays.copyOfRange(flat, t * width, (t + 1) * width);
        }
      }
    }
  }
}
