package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * FORUM (Ye, Lin, Cao, Zhang and Tsang, "A First-Order Multi-Gradient Algorithm for Multi-Objective
 * Bi-Level Optimization", ECAI 2024; the authors' {@code train_FORUM}). The bilevel problem of MOML
 * becomes one constrained problem over the logits ξ and the parameters θ together: lower every
 * task's meta-batch loss {@code F_s(θ)} while keeping {@code q = f(ξ,θ) − f(ξ,θ_K)} small, where
 * {@code f = Σ_t softmax(ξ)_t L_t} and θ_K is θ after K SGD steps of size η on f. Each step solves
 * the authors' small quadratic program over the unit meta gradients {@code ĥ_s} and ∇q for
 * multipliers μ (on the simplex) and the constraint's weight, averages μ over time (rate
 * {@code (epoch+1)^-3/4}), and moves along {@code Σ_s μ_s ĥ_s + ν ∇q}, {@code ν = max(Σ_s μ_s π_s, 0)}:
 * the parameters get {@code Σ_s (μ_s/‖h_s‖) h_s + ν Σ_t λ_t g_t} (meta-batch weights and task
 * weights), the logits {@code ν ∇_ξ q} by Adam.
 *
 * <p>Memory-flat form: instead of running K inner steps, {@code ∇_ξ q} is taken to first order,
 * {@code L_t(θ) − L_t(θ_K) ≈ ηK (Gλ)_t} with G the training Gramian over every trained parameter,
 * so every quantity of the program comes from the step's Gramian with the meta batch.
 *
 * <pre>
 * weighting: {type: forum, rho: 0.1, eta: 0.1, inner-steps: 5, learning-rate: 0.001}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class ForumWeighting implements LossWeightingProvider {
  private static final double EPSILON = 1e-8;

  @Override
  public String name() {
    return "forum";
  }

  @Override
  public String description() {
    return "weights and parameters moved together along meta-batch gradients under a lower-level constraint"
        + " (FORUM, Ye et al. 2024)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double rho = settings.number("rho", 0.1, 0, 1e3);
    double eta = settings.number("eta", 0.1, 0, 1e3);
    int innerSteps = settings.integer("inner-steps", 5, 1, 1000);
    double learningRate = settings.number("learning-rate", 1e-3, 1e-8, 10);
    int n = taskNames.size();
    double[] logits = new double[n];
    double[] averaged = new double[n];
    ScalarAdam adam = new ScalarAdam(n, learningRate);
    return new MetaBatchWeighting() {
      private Step last;

      @Override
      public double[] weights(WeightingInput input) {
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] lambda = FamoWeighting.softmax(logits, index);
        Step step = step(meta(input, "forum"), lambda, rho, eta * innerSteps);
        double rate = 1 / Math.pow(input.epoch() + 1, 0.75);
        double nu = 0;
        for (int s = 0; s < index.length; s++) {
          averaged[index[s]] += rate * (step.multipliers()[s] - averaged[index[s]]);
          nu += averaged[index[s]] * step.pi()[s];
        }
        nu = Math.max(nu, 0);
        double[] w = new double[index.length];
        double[] metaWeights = new double[index.length];
        for (int t = 0; t < index.length; t++) {
          w[t] = nu * lambda[t];
          metaWeights[t] = averaged[index[t]] / (EPSILON + step.metaNorms()[t]);
        }
        for (int t = 0; t < index.length; t++) {
          adam.step(logits, index[t], nu * step.logitGradient()[t]);
        }
        last = new Step(metaWeights, step.pi(), step.metaNorms(), step.logitGradient());
        return w;
      }

      @Override
      public Optional<double[]> metaWeights(WeightingInput input, double[] weights) {
        return Optional.of(last.multipliers().clone());
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("logits", logits.clone());
        state.put("averaged", averaged.clone());
        adam.saveTo(state, "adam.");
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("logits"), 0, logits, 0, n);
        System.arraycopy(state.get("averaged"), 0, averaged, 0, n);
        adam.restoreFrom(state, "adam.");
      }
    };
  }

  /**
   * One step's quadratic program.
   *
   * @param multipliers μ, the solution's weights of the unit meta gradients (on the simplex)
   * @param pi {@code π_s = ρ − ⟨∇q, ĥ_s⟩ / ‖∇q‖²}
   * @param metaNorms ‖h_s‖
   * @param logitGradient ∇_ξ q
   */
  record Step(double[] multipliers, double[] pi, double[] metaNorms, double[] logitGradient) {}

  /**
   * Solves {@code min_w ‖Aᵀw‖² − w_q ρ‖∇q‖²} over {@code w = (μ, w_q) ≥ 0}, {@code Σμ = 1},
   * {@code w_q ≥ Σ_s μ_s π_s}, where A's rows are the unit meta gradients ĥ_s (zero on ξ) and
   * {@code ∇q = (ηK J Gλ ; Σ_t λ_t g_t)}.
   *
   * @param stepLength ηK, the inner steps' total length
   */
  static Step step(MetaGradients meta, double[] lambda, double rho, double stepLength) {
    int n = lambda.length;
    double[][] g = new double[n][n];
    for (int s = 0; s < n; s++) {
      for (int t = 0; t < n; t++) {
        g[s][t] = meta.training(s, t);
      }
    }
    double[] logitGradient = Matrices.times(MetaBatchWeighting.softmaxJacobian(lambda), Matrices.times(g, lambda));
    for (int t = 0; t < n; t++) {
      logitGradient[t] *= stepLength;
    }
    double qNorm2 = Matrices.dot(logitGradient, logitGradient) + Matrices.quadratic(g, lambda);
    double[] norms = new double[n];
    double[] alongQ = new double[n]; // ⟨ĥ_s, ∇q⟩ = Σ_t λ_t ⟨h_s, g_t⟩ / ‖h_s‖
    double[] pi = new double[n];
    for (int s = 0; s < n; s++) {
      norms[s] = Math.sqrt(Math.max(meta.meta(s, s), 0));
      for (int t = 0; t < n; t++) {
        alongQ[s] += lambda[t] * meta.alignment(s, t);
      }
      alongQ[s] /= EPSILON + norms[s];
      pi[s] = rho - alongQ[s] / (qNorm2 + EPSILON);
    }
    double[][] aat = new double[n + 1][n + 1];
    for (int s = 0; s < n; s++) {
      for (int r = 0; r < n; r++) {
        aat[s][r] = meta.meta(s, r) / ((EPSILON + norms[s]) * (EPSILON + norms[r]));
      }
      aat[s][n] = alongQ[s];
      aat[n][s] = alongQ[s];
    }
    aat[n][n] = qNorm2;
    double[] mu = solve(aat, pi, rho * (qNorm2 + EPSILON));
    return new Step(mu, pi, norms, logitGradient);
  }

  /**
   * μ of {@code min wᵀ M w − c w_q} over {@code μ ≥ 0, Σμ = 1, w_q ≥ 0, w_q ≥ πᵀμ}, with
   * {@code w = (μ, w_q)}. The active-set solver takes bounds and one sum, so the two lower limits
   * of w_q are tried in turn: drop {@code w_q ≥ πᵀμ}; if that answer breaks it, the (strictly
   * convex) optimum lies on it, so solve with {@code w_q = πᵀμ + z, z ≥ 0}; if that answer has
   * {@code w_q < 0}, both hold with equality ({@code w_q = 0 = πᵀμ}), kept by a stiff penalty.
   */
  static double[] solve(double[][] m, double[] pi, double c) {
    int n = pi.length;
    boolean[] inSum = new boolean[n + 1];
    Arrays.fill(inSum, 0, n, true);
    double[] linear = new double[n + 1];
    linear[n] = -c;
    double[] relaxed = Matrices.minimizeQuadratic(Matrices.scaled(m, 2), linear, new double[n + 1], inSum);
    double[] mu = Arrays.copyOf(relaxed, n);
    if (relaxed[n] >= Matrices.dot(pi, mu) - 1e-12) {
      return mu;
    }
    // w = B (μ, z), B = [[I, 0], [πᵀ, 1]]: objective (μ, z)ᵀ 2BᵀMB (μ, z) − c (πᵀμ + z).
    double[][] b = new double[n + 1][n + 1];
    for (int i = 0; i < n; i++) {
      b[i][i] = 1;
      b[n][i] = pi[i];
    }
    b[n][n] = 1;
    double[][] q = new double[n + 1][n + 1];
    for (int i = 0; i <= n; i++) {
      for (int j = 0; j <= n; j++) {
        for (int k = 0; k <= n; k++) {
          for (int l = 0; l <= n; l++) {
            q[i][j] += 2 * b[k][i] * m[k][l] * b[l][j];
          }
        }
      }
    }
    double[] shifted = new double[n + 1];
    for (int i = 0; i <= n; i++) {
      shifted[i] = -c * b[n][i];
    }
    double[] onBoundary = Matrices.minimizeQuadratic(q, shifted, new double[n + 1], inSum);
    mu = Arrays.copyOf(onBoundary, n);
    if (onBoundary[n] + Matrices.dot(pi, mu) >= -1e-12) {
      return mu;
    }
    double[][] qm = new double[n][n];
    double stiffness = 1e6 * Math.max(Matrices.trace(m), 1) / Math.max(Matrices.dot(pi, pi), 1e-12);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        qm[i][j] = 2 * m[i][j] + 2 * stiffness * pi[i] * pi[j];
      }
    }
    return Matrices.minimizeQuadratic(qm, new double[n], new double[n], true);
  }
}
