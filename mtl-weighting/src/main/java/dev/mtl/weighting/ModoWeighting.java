package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * MoDo, multi-objective gradient with double sampling (Chen, Fernando, Ying and Chen, "Three-Way
 * Trade-Off in Multi-Objective Learning: Optimization, Generalization and Conflict-Avoidance",
 * NeurIPS 2023; LibMTL's {@code MoDo}). The task weights λ are iterates, not a per-step solution:
 * each step moves them one projected-gradient step on MGDA's objective ½λᵀGλ with an ℓ2 term,
 * {@code λ ← Π_simplex(λ − γ(Gλ + ρλ))}, and the update is {@code Σ λ_t g_t}. A small γ keeps
 * the direction close to the average gradient (generalisation); a large one approaches MGDA's
 * conflict-avoiding direction. MoDo draws three independent batches per step so that the product
 * in the λ step is unbiased; mtl's engines give one batch per step, so the same batch's Gramian
 * serves both factors (the single-sample form; with the defaults γ = 0.001, ρ = 0.1 λ moves
 * slowly either way). λ starts at 1/T and is saved with checkpoints.
 *
 * <pre>
 * weighting: {type: modo, gamma: 0.001, rho: 0.1, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ModoWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "modo";
  }

  @Override
  public String description() {
    return "weights that follow projected-gradient steps toward MGDA's direction (MoDo, Chen et al. 2023)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double gamma = settings.number("gamma", 0.001, 0, 1e6);
    double rho = settings.number("rho", 0.1, 0, 1e6);
    int n = taskNames.size();
    double[] lambda = Matrices.filled(n, 1.0 / n);
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] current = new double[index.length];
        for (int t = 0; t < index.length; t++) {
          current[t] = lambda[index[t]];
        }
        // A step over a subset of tasks moves that subset's share of λ and leaves the rest.
        double share = Arrays.stream(current).sum();
        double[] next = step(gramian, share > 0 ? scaled(current, 1 / share) : Matrices.filled(index.length, 1.0 / index.length),
            gamma, rho);
        for (int t = 0; t < index.length; t++) {
          lambda[index[t]] = (share > 0 ? share : (double) index.length / n) * next[t];
        }
        return next;
      }

      @Override
      public Map<String, double[]> state() {
        return Map.of("lambda", lambda.clone());
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("lambda"), 0, lambda, 0, n);
      }
    };
  }

  /** One MoDo step: {@code Π_simplex(λ − γ(Gλ + ρλ))}. */
  static double[] step(double[][] gramian, double[] lambda, double gamma, double rho) {
    double[] g = Matrices.times(gramian, lambda);
    double[] moved = new double[lambda.length];
    for (int t = 0; t < moved.length; t++) {
      moved[t] = lambda[t] - gamma * (g[t] + rho * lambda[t]);
    }
    return Matrices.projectToSimplex(moved);
  }

  private static double[] scaled(double[] v, double factor) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] * factor;
    }
    return out;
  }
}
