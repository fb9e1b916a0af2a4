package dev.mtl.weighting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The bilevel weightings (Auto-Lambda, MOML, FORUM) on explicit training gradients g_t and
 * meta-batch gradients h_s: hand-worked first steps and each method's defining property.
 */
class BilevelWeightingsTest {
  private static final List<String> TWO = List.of("a", "b");

  /** The meta input for training gradients {@code g} and meta gradients {@code h} (same count). */
  static MetaGradients meta(double[][] g, double[][] h) {
    int n = g.length;
    double[][] all = new double[2 * n][];
    for (int i = 0; i < n; i++) {
      all[i] = g[i];
      all[n + i] = h[i];
    }
    return new MetaGradients(new double[n], GradientWeightingsTest.gramian(all));
  }

  static WeightingInput input(long step, int epoch, List<String> tasks, MetaGradients meta) {
    return new WeightingInput(step, epoch, tasks, new double[tasks.size()], Optional.empty(), Optional.empty(), Optional.of(meta));
  }

  static LossWeighting create(LossWeightingProvider provider, List<String> tasks, Map<String, Object> settings) {
    ConfigSection section = ConfigSection.of("test", Path.of("."), settings);
    LossWeighting weighting = provider.create(section, tasks);
    assertThat(section.source().problems()).isEmpty();
    assertThat(weighting.need()).isEqualTo(GradientNeed.GRAMIAN_WITH_META_BATCH);
    return weighting;
  }

  // g_a = (1, 0), g_b = (0, 1); h_a = (1, 0.5), h_b = (-1, 0): ⟨h_s, g_t⟩ = [[1, 0.5], [-1, 0]].
  private static final MetaGradients ALIGNED = meta(new double[][] {{1, 0}, {0, 1}}, new double[][] {{1, 0.5}, {-1, 0}});

  @Test
  @DisplayName("Auto-Lambda: the first Adam step moves each λ by the learning rate against -Σ_primary ⟨h_s, g_t⟩")
  void autoLambdaFirstStep() {
    double lr = 0.01;
    // Every task primary: ∂/∂λ_a ∝ -(1 - 1) = 0 (λ_a stays), ∂/∂λ_b ∝ -(0.5 + 0) < 0 (λ_b grows).
    LossWeighting all = create(new AutoLambdaWeighting(), TWO, Map.of("learning-rate", lr));
    // (Adam's ε = 1e-8 leaves the first step 1e-8 relative short of lr.)
    assertThat(all.weights(input(0, 0, TWO, ALIGNED))).containsExactly(new double[] {0.1, 0.1 + lr}, within(1e-9));
    // Only a primary: -1 and -0.5, both grow.
    LossWeighting onlyA = create(new AutoLambdaWeighting(), TWO, Map.of("learning-rate", lr, "primary", List.of("a")));
    assertThat(onlyA.weights(input(0, 0, TWO, ALIGNED))).containsExactly(new double[] {0.1 + lr, 0.1 + lr}, within(1e-9));
    // Only b primary: task a's step raises b's meta loss (+1): λ_a shrinks; b's own gradient is orthogonal to h_b.
    LossWeighting onlyB = create(new AutoLambdaWeighting(), TWO, Map.of("learning-rate", lr, "primary", List.of("b")));
    assertThat(onlyB.weights(input(0, 0, TWO, ALIGNED))).containsExactly(new double[] {0.1 - lr, 0.1}, within(1e-9));
  }

  @Test
  @DisplayName("Auto-Lambda: a task whose steps keep hurting the primary task falls to weight 0 and stays there")
  void autoLambdaDropsHarmfulTask() {
    LossWeighting weighting = create(new AutoLambdaWeighting(), TWO, Map.of("learning-rate", 0.01, "primary", List.of("b")));
    double[] w = null;
    for (int step = 0; step < 40; step++) {
      w = weighting.weights(input(step, 0, TWO, ALIGNED));
      assertThat(w[0]).isGreaterThanOrEqualTo(0);
    }
    assertThat(w[0]).isZero();
    // Helping the primary task raises the weight: h_b aligned with g_a now.
    MetaGradients helpful = meta(new double[][] {{1, 0}, {0, 1}}, new double[][] {{1, 0}, {1, 0}});
    double[] after = null;
    for (int step = 40; step < 80; step++) {
      after = weighting.weights(input(step, 0, TWO, helpful));
    }
    assertThat(after[0]).isPositive();
  }

  @Test
  @DisplayName("MOML: MGDA stops at Pareto-stationary weights where summing the hypergradients would move")
  void momlMgdaAgainstSum() {
    // ⟨h_s, g_t⟩ = [[2, 0], [0, 1]]: each meta loss wants its own task's weight up; at λ = (.5, .5)
    // H_a = -0.5 (1, -1), H_b = 0.25 (1, -1): opposite, so their min-norm combination is 0.
    MetaGradients opposed = meta(new double[][] {{1, 0}, {0, 1}}, new double[][] {{2, 0}, {0, 1}});
    double lr = 0.01;
    LossWeighting mgda = create(new MomlWeighting(), TWO, Map.of("learning-rate", lr));
    // (Not exactly: the min-norm solver's 1e-12 ridge leaves a residue that Adam's first step scales up.)
    assertThat(mgda.weights(input(0, 0, TWO, opposed))).containsExactly(new double[] {0.5, 0.5}, within(1e-6));
    // Summed: -0.25 (1, -1), so Adam moves ξ_a up and ξ_b down by lr: λ_a = sigmoid(2 lr).
    LossWeighting sum = create(new MomlWeighting(), TWO, Map.of("learning-rate", lr, "aggregate", "equal"));
    double expected = 1 / (1 + Math.exp(-2 * lr));
    assertThat(sum.weights(input(0, 0, TWO, opposed))).containsExactly(new double[] {expected, 1 - expected}, within(1e-9));
    // Both meta losses helped by task a only: MGDA moves too.
    MetaGradients agreeing = meta(new double[][] {{1, 0}, {0, 1}}, new double[][] {{1, 0}, {1, 0}});
    assertThat(create(new MomlWeighting(), TWO, Map.of("learning-rate", lr)).weights(input(0, 0, TWO, agreeing)))
        .containsExactly(new double[] {expected, 1 - expected}, within(1e-9));
  }

  @Test
  @DisplayName("MOML: the combined hypergradient does not raise any meta loss to first order")
  void momlDescendsEveryMetaLoss() {
    Random random = new Random(5);
    for (int trial = 0; trial < 30; trial++) {
      int n = 2 + trial % 3;
      double[][] g = random(random, n, 4);
      double[][] h = random(random, n, 4);
      MetaGradients meta = meta(g, h);
      double[] z = new double[n];
      double total = 0;
      for (int t = 0; t < n; t++) {
        z[t] = random.nextDouble() + 0.1;
        total += z[t];
      }
      for (int t = 0; t < n; t++) {
        z[t] /= total;
      }
      double[] d = MomlWeighting.direction(meta, z, true);
      double[][] jacobian = MetaBatchWeighting.softmaxJacobian(z);
      for (int s = 0; s < n; s++) {
        // H_s · d ≥ 0: stepping ξ against d changes meta loss s by -lr H_s·d ≤ 0.
        double along = 0;
        for (int k = 0; k < n; k++) {
          double hsk = 0;
          for (int t = 0; t < n; t++) {
            hsk -= meta.alignment(s, t) * jacobian[t][k];
          }
          along += hsk * d[k];
        }
        assertThat(along).as("trial %d, meta loss %d", trial, s).isGreaterThanOrEqualTo(-1e-9);
      }
    }
  }

  @Test
  @DisplayName("FORUM: hand-worked single task, constraint slack (ν = 0) and binding (ν = π)")
  void forumSingleTask() {
    List<String> one = List.of("a");
    // g = (2, 0), h = (1.5, 0.5): aligned, π = 0.1 - (3/‖h‖)/4 < 0, so ν = 0 and only ĥ moves θ.
    LossWeighting slack = create(new ForumWeighting(), one, Map.of());
    WeightingInput aligned = input(0, 0, one, meta(new double[][] {{2, 0}}, new double[][] {{1.5, 0.5}}));
    assertThat(slack.weights(aligned)).containsExactly(0.0);
    assertThat(slack.metaWeights(aligned, new double[] {0}).orElseThrow()[0]).isCloseTo(1 / Math.sqrt(2.5), within(1e-6));
    // h = (-1, 0) opposes g: π = 0.1 + 2/4 = 0.6, the QP's unconstrained w_q = 0.55 is cut to 0.6, ν = 0.6.
    LossWeighting binding = create(new ForumWeighting(), one, Map.of());
    WeightingInput opposed = input(0, 0, one, meta(new double[][] {{2, 0}}, new double[][] {{-1, 0}}));
    assertThat(binding.weights(opposed)[0]).isCloseTo(0.6, within(1e-6));
    assertThat(binding.metaWeights(opposed, new double[] {0.6}).orElseThrow()[0]).isCloseTo(1, within(1e-6));
    // The update h + 0.6 g = (0.2, 0) still lowers the training loss at rate ρ‖g‖² = 0.4.
  }

  @Test
  @DisplayName("FORUM: the quadratic program's solution beats every point of a fine feasible grid (two tasks)")
  void forumProgramIsSolved() {
    Random random = new Random(9);
    for (int trial = 0; trial < 30; trial++) {
      double[][] g = random(random, 2, 3);
      double[][] h = random(random, 2, 3);
      MetaGradients meta = meta(g, h);
      double[] lambda = {0.3 + 0.4 * random.nextDouble(), 0};
      lambda[1] = 1 - lambda[0];
      double rho = trial % 3 == 0 ? 2 : 0.1; // a large ρ makes π positive, so w_q ≥ πᵀμ binds
      ForumWeighting.Step step = ForumWeighting.step(meta, lambda, rho, 0.5);
      double[] mu = step.multipliers();
      assertThat(mu[0] + mu[1]).isCloseTo(1, within(1e-9));
      assertThat(Math.min(mu[0], mu[1])).isGreaterThanOrEqualTo(-1e-12);
      Program program = new Program(meta, lambda, rho, 0.5, step);
      double best = Double.POSITIVE_INFINITY;
      for (int i = 0; i <= 400; i++) {
        double m0 = i / 400.0;
        double lower = Math.max(m0 * step.pi()[0] + (1 - m0) * step.pi()[1], 0);
        for (int j = 0; j <= 400; j++) {
          best = Math.min(best, program.value(m0, lower + j * 0.01));
        }
      }
      double wq = Math.max(mu[0] * step.pi()[0] + mu[1] * step.pi()[1], 0);
      // The solver's w_q is the best for its μ; scan it finely.
      double solved = Double.POSITIVE_INFINITY;
      for (int j = 0; j <= 40000; j++) {
        solved = Math.min(solved, program.value(mu[0], wq + j * 1e-4));
      }
      assertThat(solved).as("trial %d", trial).isLessThanOrEqualTo(best + 1e-6);
    }
  }

  @Test
  @DisplayName("FORUM: the update lowers the lower-level gap at least at rate ρ‖∇q‖² (the constraint it keeps)")
  void forumKeepsTheConstraint() {
    Random random = new Random(13);
    double rho = 0.1;
    for (int trial = 0; trial < 30; trial++) {
      int n = 2 + trial % 3;
      List<String> tasks = List.of("a", "b", "c", "d").subList(0, n);
      double[][] g = random(random, n, 5);
      double[][] h = random(random, n, 5);
      LossWeighting weighting = create(new ForumWeighting(), tasks, Map.of("rho", rho, "eta", 0.1, "inner-steps", 5));
      WeightingInput input = input(0, 0, tasks, meta(g, h));
      double[] w = weighting.weights(input);
      double[] v = weighting.metaWeights(input, w).orElseThrow();
      double[] lambda = Matrices.filled(n, 1.0 / n); // logits start at 0
      double[] d = new double[5];
      double[] dq = new double[5];
      for (int t = 0; t < n; t++) {
        for (int k = 0; k < 5; k++) {
          d[k] += w[t] * g[t][k] + v[t] * h[t][k];
          dq[k] += lambda[t] * g[t][k];
        }
      }
      double[] logitGradient = Matrices.times(MetaBatchWeighting.softmaxJacobian(lambda),
          Matrices.times(GradientWeightingsTest.gramian(g), lambda));
      double logitPart = 0;
      for (int t = 0; t < n; t++) {
        logitGradient[t] *= 0.5;
        logitPart += logitGradient[t] * logitGradient[t];
      }
      double nu = n == 0 ? 0 : w[0] / lambda[0];
      double qNorm2 = Matrices.dot(dq, dq) + logitPart;
      assertThat(Matrices.dot(d, dq) + nu * logitPart).as("trial %d", trial).isGreaterThanOrEqualTo(rho * qNorm2 * (1 - 1e-6));
    }
  }

  @Test
  @DisplayName("bilevel weightings refuse a step without the meta batch, naming what is missing")
  void needTheMetaBatch() {
    for (LossWeightingProvider provider : List.of(new AutoLambdaWeighting(), new MomlWeighting(), new ForumWeighting())) {
      LossWeighting weighting = create(provider, TWO, Map.of());
      WeightingInput plain = new WeightingInput(0, 0, TWO, new double[] {1, 1}, Optional.empty());
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> weighting.weights(plain))
          .hasMessageContaining(provider.name()).hasMessageContaining("meta batch");
    }
  }

  @Test
  @DisplayName("Auto-Lambda: primary names a task the run does not have: a config problem naming it")
  void unknownPrimary() {
    ConfigSection section = ConfigSection.of("test", Path.of("."), Map.of("primary", List.of("nope")));
    new AutoLambdaWeighting().create(section, TWO);
    assertThat(section.source().problems()).singleElement().asString().contains("nope").contains("[a, b]");
  }

  /** FORUM's objective wᵀ(AAᵀ)w − ρ‖∇q‖² w_q for two tasks, rebuilt from explicit vectors. */
  private record Program(MetaGradients meta, double[] lambda, double rho, double stepLength, ForumWeighting.Step step) {
    double value(double mu0, double wq) {
      double[] w = {mu0, 1 - mu0, wq};
      double[][] aat = new double[3][3];
      double[] norms = step.metaNorms();
      double[] alongQ = new double[2];
      for (int s = 0; s < 2; s++) {
        for (int t = 0; t < 2; t++) {
          alongQ[s] += lambda[t] * meta.alignment(s, t);
        }
        alongQ[s] /= 1e-8 + norms[s];
        for (int r = 0; r < 2; r++) {
          aat[s][r] = meta.meta(s, r) / ((1e-8 + norms[s]) * (1e-8 + norms[r]));
        }
        aat[s][2] = alongQ[s];
        aat[2][s] = alongQ[s];
      }
      double q2 = Matrices.dot(step.logitGradient(), step.logitGradient());
      for (int s = 0; s < 2; s++) {
        for (int t = 0; t < 2; t++) {
          q2 += lambda[s] * lambda[t] * meta.training(s, t);
        }
      }
      aat[2][2] = q2;
      return Matrices.quadratic(aat, w) - rho * (q2 + 1e-8) * wq;
    }
  }

  private static double[][] random(Random random, int rows, int width) {
    double[][] out = new double[rows][width];
    for (double[] row : out) {
      for (int k = 0; k < width; k++) {
        row[k] = random.nextGaussian();
      }
    }
    return out;
  }
}
