package dev.mtl.weighting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Gradient-based weightings on explicit task gradients: the Gramian goes in, and the update
 * {@code d = Σ w_t g_t} that comes out is checked against hand-worked values and each method's
 * defining property, computed in the gradients' own space.
 */
class GradientWeightingsTest {
  private static final double[] G1 = {1, 0};
  private static final double[] G2 = {-1, 1};

  static double[][] gramian(double[]... gradients) {
    int n = gradients.length;
    double[][] g = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        g[i][j] = Matrices.dot(gradients[i], gradients[j]);
      }
    }
    return g;
  }

  static double[] combine(double[] weights, double[]... gradients) {
    double[] d = new double[gradients[0].length];
    for (int t = 0; t < gradients.length; t++) {
      for (int k = 0; k < d.length; k++) {
        d[k] += weights[t] * gradients[t][k];
      }
    }
    return d;
  }

  private static double[][] randomGradients(Random random, int tasks, int dimension) {
    double[][] g = new double[tasks][dimension];
    for (double[] row : g) {
      for (int k = 0; k < dimension; k++) {
        row[k] = random.nextGaussian();
      }
    }
    return g;
  }

  @Test
  @DisplayName("MGDA: two conflicting gradients meet at the hand-worked min-norm point")
  void mgdaTwoTasks() {
    // min ‖a g1 + (1-a) g2‖² = (2a-1)² + (1-a)² → a = 3/5, d = (1/5, 2/5).
    double[] w = MgdaWeighting.minNormWeights(gramian(G1, G2));
    assertThat(w[0]).isCloseTo(0.6, within(1e-9));
    assertThat(w[1]).isCloseTo(0.4, within(1e-9));
    // A gradient inside the hull's far side: g = (1,0), (2,0) → all weight on the shorter one.
    assertThat(MgdaWeighting.minNormWeights(gramian(new double[] {1, 0}, new double[] {2, 0}))).containsExactly(new double[] {1, 0}, within(1e-9));
  }

  @Test
  @DisplayName("MGDA: the result is the minimum-norm point of the hull, beating every sampled hull point")
  void mgdaIsMinimumNorm() {
    Random random = new Random(11);
    for (int trial = 0; trial < 20; trial++) {
      int tasks = 2 + trial % 5;
      double[][] grads = randomGradients(random, tasks, 3 + trial % 4);
      double[][] g = gramian(grads);
      double[] w = MgdaWeighting.minNormWeights(g);
      assertThat(Arrays.stream(w).sum()).isCloseTo(1, within(1e-9));
      assertThat(Arrays.stream(w).min().orElseThrow()).isGreaterThanOrEqualTo(-1e-12);
      double best = Matrices.quadratic(g, w);
      for (int sample = 0; sample < 2000; sample++) {
        double[] v = new double[tasks];
        double total = 0;
        for (int t = 0; t < tasks; t++) {
          v[t] = -Math.log(1 - random.nextDouble());
          total += v[t];
        }
        for (int t = 0; t < tasks; t++) {
          v[t] /= total;
        }
        assertThat(Matrices.quadratic(g, v)).isGreaterThanOrEqualTo(best - 1e-10);
      }
      // Optimality: ⟨g_t, d⟩ ≥ ‖d‖² for every task, with equality where the weight is positive.
      double[] gd = Matrices.times(g, w);
      for (int t = 0; t < tasks; t++) {
        assertThat(gd[t]).isGreaterThanOrEqualTo(best - 1e-9);
        if (w[t] > 1e-6) {
          assertThat(gd[t]).isCloseTo(best, within(1e-8));
        }
      }
    }
  }

  @Test
  @DisplayName("PCGrad: a conflicting pair loses exactly its components along each other")
  void pcgradProjections() {
    // g1' = g1 - (g1·g2/‖g2‖²) g2 = (1,0) + ½(-1,1) = (½,½); g2' = g2 + g1 = (0,1); sum (½, 3/2).
    double[] w = PcGradWeighting.surgery(gramian(G1, G2), new SplittableRandom(1));
    assertThat(w).containsExactly(new double[] {2, 1.5}, within(1e-12));
    assertThat(combine(w, G1, G2)).containsExactly(new double[] {0.5, 1.5}, within(1e-12));
    // Without conflict nothing changes: the plain sum.
    assertThat(PcGradWeighting.surgery(gramian(new double[] {1, 0}, new double[] {1, 1}), new SplittableRandom(1)))
        .containsExactly(new double[] {1, 1}, within(1e-12));
  }

  @Test
  @DisplayName("CAGrad: the update lies on the ball around g0 and no point of the ball helps the worst task more")
  void cagradBound() {
    Random random = new Random(5);
    double c = 0.5;
    for (int trial = 0; trial < 10; trial++) {
      double[][] grads = randomGradients(random, 3, 4);
      double[] w = CaGradWeighting.conflictAverse(gramian(grads), c, false);
      double[] d = combine(w, grads);
      double[] g0 = combine(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, grads);
      double radius = c * Math.sqrt(Matrices.dot(g0, g0));
      double[] offset = new double[d.length];
      for (int k = 0; k < d.length; k++) {
        offset[k] = d[k] - g0[k];
      }
      assertThat(Math.sqrt(Matrices.dot(offset, offset))).isCloseTo(radius, within(1e-6 * radius));
      double worst = worstImprovement(grads, d);
      for (int sample = 0; sample < 4000; sample++) {
        double[] u = new double[d.length];
        for (int k = 0; k < u.length; k++) {
          u[k] = random.nextGaussian();
        }
        double scale = radius * Math.pow(random.nextDouble(), 1.0 / u.length) / Math.sqrt(Matrices.dot(u, u));
        double[] candidate = new double[d.length];
        for (int k = 0; k < d.length; k++) {
          candidate[k] = g0[k] + scale * u[k];
        }
        assertThat(worstImprovement(grads, candidate)).isLessThanOrEqualTo(worst + 1e-6);
      }
    }
    // c = 0 is the plain average; rescaling divides by 1 + c².
    assertThat(CaGradWeighting.conflictAverse(gramian(G1, G2), 0, true)).containsExactly(new double[] {0.5, 0.5}, within(1e-12));
    double[] raw = CaGradWeighting.conflictAverse(gramian(G1, G2), c, false);
    double[] scaled = CaGradWeighting.conflictAverse(gramian(G1, G2), c, true);
    assertThat(scaled[0]).isCloseTo(raw[0] / (1 + c * c), within(1e-12));
  }

  private static double worstImprovement(double[][] grads, double[] d) {
    double worst = Double.POSITIVE_INFINITY;
    for (double[] g : grads) {
      worst = Math.min(worst, Matrices.dot(g, d));
    }
    return worst;
  }

  @Test
  @DisplayName("IMTL-G: hand-worked weights, and equal projections on every unit gradient")
  void imtlEqualProjections() {
    // g1 = (1,0), g2 = (0,2): d = (a, 2(1-a)); d·u1 = a = d·u2 = 2(1-a) → a = 2/3.
    double[] w = ImtlGWeighting.impartial(gramian(new double[] {1, 0}, new double[] {0, 2}));
    assertThat(w).containsExactly(new double[] {2.0 / 3, 1.0 / 3}, within(1e-12));
    double[][] grads = randomGradients(new Random(3), 4, 6);
    double[] v = ImtlGWeighting.impartial(gramian(grads));
    double[] d = combine(v, grads);
    double first = Matrices.dot(d, grads[0]) / Math.sqrt(Matrices.dot(grads[0], grads[0]));
    for (double[] g : grads) {
      assertThat(Matrices.dot(d, g) / Math.sqrt(Matrices.dot(g, g))).isCloseTo(first, within(1e-9));
    }
    assertThat(Arrays.stream(v).sum()).isCloseTo(1, within(1e-12));
  }

  @Test
  @DisplayName("DualProj: the mean where it conflicts with no task; otherwise the nearest non-conflicting update above it")
  void dualProjNoConflict() {
    // g1 = (1,0), g2 = (-0.5,1): the mean (0.25, 0.5) has inner products 0.25 and 0.375, no conflict.
    assertThat(DualProjWeighting.projectedMean(gramian(new double[] {1, 0}, new double[] {-0.5, 1})))
        .containsExactly(new double[] {0.5, 0.5}, within(1e-9));
    // g1 = (1,0), g2 = (-2,1): the mean (-0.5, 0.5) conflicts with g1 (inner product -0.5). The projection
    // raises g1's weight until g1·d = 0: v = (a, 0.5), d = (a - 1, 0.5), a = 1; g2·d = 0.5 ≥ 0.
    assertThat(DualProjWeighting.projectedMean(gramian(new double[] {1, 0}, new double[] {-2, 1})))
        .containsExactly(new double[] {1, 0.5}, within(1e-6));
    for (int trial = 0; trial < 20; trial++) {
      double[][] grads = randomGradients(new Random(100 + trial), 2 + trial % 5, 6);
      double[][] g = gramian(grads);
      double[] v = DualProjWeighting.projectedMean(g);
      double[] gv = Matrices.times(g, v);
      for (int i = 0; i < v.length; i++) {
        assertThat(v[i]).as("above the mean's weight").isGreaterThanOrEqualTo(1.0 / v.length - 1e-9);
        assertThat(gv[i]).as("task %d does not conflict with the update", i).isGreaterThanOrEqualTo(-1e-6 * Math.max(1, g[i][i]));
      }
    }
  }

  @Test
  @DisplayName("Krum: the gradient with the nearest neighbours is chosen; an outlying task never is; Multi-Krum averages m")
  void krumSkipsOutliers() {
    // Three gradients close together and one far away (an outlying task).
    double[][] grads = {{1, 0}, {1.1, 0.1}, {0.9, -0.1}, {-20, 30}};
    double[][] g = gramian(grads);
    // f = 1: each scored by its T - f - 2 = 1 nearest neighbour. Squared distances: 1~2 0.02, 1~3 0.02, 2~3 0.08;
    // scores 0.02, 0.02, 0.02 (nearest of 3 is 1 at 0.02), outlier huge: ties go to the first task.
    assertThat(KrumWeighting.krum(g, 1, 1)).containsExactly(1, 0, 0, 0);
    // Multi-Krum, m = 3: the three close gradients, 1/3 each.
    assertThat(KrumWeighting.krum(g, 1, 3)).containsExactly(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3, 0}, within(1e-12));
    // f = 0: two nearest neighbours each: 1 gets 0.02 + 0.02 = 0.04, the others 0.02 + 0.08: task 1 wins.
    assertThat(KrumWeighting.krum(g, 0, 1)).containsExactly(1, 0, 0, 0);
    for (int trial = 0; trial < 20; trial++) {
      double[] w = KrumWeighting.krum(gramian(randomGradients(new Random(200 + trial), 4 + trial % 3, 5)), 1, 2);
      assertThat(Arrays.stream(w).sum()).isCloseTo(1, within(1e-12));
      assertThat(Arrays.stream(w).filter(x -> x > 0)).hasSize(2);
    }
  }

  @Test
  @DisplayName("GradVac: a pair below its target cosine is raised to exactly the target; the targets follow an EMA of the cosines")
  void gradVacReachesTarget() {
    // g1 = (1,0), g2 = (-1,1): cosine -1/√2, below the starting target 0.
    // g1' = g1 + w·g2, w = ‖g1‖ (0·√(1−½) − (−1/√2)·1) / (‖g2‖·1) = 1/2: g1' = (0.5, 0.5), orthogonal to g2.
    // g2' = g2 + w·g1, w = ‖g2‖ (1/√2) / ‖g1‖ = 1: g2' = (0, 1), orthogonal to g1.
    // The update g1' + g2' = 2·g1 + 1.5·g2; each target moves to β·(−1/√2) with β = 0.5.
    double[][] g = gramian(new double[] {1, 0}, new double[] {-1, 1});
    double[][] targets = new double[2][2];
    double[] w = GradVacWeighting.vaccinate(g, targets, 0.5, new SplittableRandom(0));
    assertThat(w).containsExactly(new double[] {2, 1.5}, within(1e-12));
    assertThat(targets[0][1]).isCloseTo(0.5 * -1 / Math.sqrt(2), within(1e-12));
    assertThat(targets[1][0]).isCloseTo(0.5 * -1 / Math.sqrt(2), within(1e-12));
    // The defining invariant, two tasks, random gradients and targets: afterwards cos(g_i', g_j) = max(φ_ij, φ̂_ij).
    Random random = new Random(7);
    for (int trial = 0; trial < 50; trial++) {
      double[][] grads = randomGradients(random, 2, 5);
      double[][] gram = gramian(grads);
      double target = random.nextDouble() * 1.8 - 0.9;
      double cos = gram[0][1] / Math.sqrt(gram[0][0] * gram[1][1]);
      double[] c = new double[2];
      // Task 0's adjusted gradient alone: run with task 1 unable to move (its target -1 is never above its cosine).
      double[][] only0 = {{0, target}, {-1, 0}};
      double[] weights = GradVacWeighting.vaccinate(gram, only0, 0, new SplittableRandom(1));
      // weights = c(0) + e_1; c(0) = weights - e_1.
      c[0] = weights[0];
      c[1] = weights[1] - 1;
      double[] adjusted = combine(c, grads);
      double after = Matrices.dot(adjusted, grads[1]) / Math.sqrt(Matrices.dot(adjusted, adjusted) * gram[1][1]);
      assertThat(after).as("trial %d", trial).isCloseTo(Math.max(cos, target), within(1e-9));
    }
  }

  @Test
  @DisplayName("IMTL: the scaled combination still projects equally on every unit task gradient, and scales are learned to e^s = 1/L")
  void imtlFull() {
    double[][] grads = randomGradients(new Random(11), 3, 6);
    double[] w = ImtlWeighting.scaledProjections(gramian(grads), new double[] {2, 0.5, 1});
    double[] d = combine(w, grads);
    double first = Matrices.dot(d, grads[0]) / Math.sqrt(Matrices.dot(grads[0], grads[0]));
    for (double[] g : grads) {
      assertThat(Matrices.dot(d, g) / Math.sqrt(Matrices.dot(g, g))).isCloseTo(first, within(1e-9));
    }
    // Steady losses 4 and 0.5 with orthogonal unit gradients: the scales go to 1/4 and 2.
    LossWeighting imtl = new ImtlWeighting().create(ConfigSection.of("run", Path.of("."), Map.of("learning-rate", 0.05)), List.of("a", "b"));
    double[][] identity = {{1, 0}, {0, 1}};
    double[] last = null;
    for (int step = 0; step < 3000; step++) {
      last = imtl.weights(new WeightingInput(step, 0, List.of("a", "b"), new double[] {4, 0.5}, Optional.of(identity)));
    }
    // Orthogonal unit gradients scaled by 1/4 and 2: equal projections need α ∝ 1/scale, so w = α·scale is equal.
    assertThat(last[0]).isCloseTo(last[1], within(1e-3));
    LossWeighting scalesOnly = new ImtlLWeighting().create(ConfigSection.of("run", Path.of("."), Map.of("learning-rate", 0.05)), List.of("a", "b"));
    for (int step = 0; step < 3000; step++) {
      last = scalesOnly.weights(new WeightingInput(step, 0, List.of("a", "b"), new double[] {4, 0.5}, Optional.empty()));
    }
    assertThat(last).containsExactly(new double[] {0.25, 2}, within(1e-3));
  }

  @Test
  @DisplayName("ConFIG: equal positive projection on every unit gradient, and the length is the gradients' total along it")
  void configConflictFree() {
    // g1 = (1,0), g2 = (0,2): v with û·v = 1 for both is (1,1); ‖v‖ = √2; Σ g_i·v̂ = (1 + 2)/√2; d = 3/2·(1,1).
    // d = w1 g1 + w2 g2 → w1 = 3/2, w2 = 3/4.
    assertThat(ConfigWeighting.conflictFree(gramian(new double[] {1, 0}, new double[] {0, 2})))
        .containsExactly(new double[] {1.5, 0.75}, within(1e-12));
    for (int trial = 0; trial < 20; trial++) {
      double[][] grads = randomGradients(new Random(300 + trial), 2 + trial % 4, 7);
      double[] d = combine(ConfigWeighting.conflictFree(gramian(grads)), grads);
      double dNorm = Math.sqrt(Matrices.dot(d, d));
      double first = Matrices.dot(d, grads[0]) / Math.sqrt(Matrices.dot(grads[0], grads[0]));
      double total = 0;
      for (double[] g : grads) {
        double projection = Matrices.dot(d, g) / Math.sqrt(Matrices.dot(g, g));
        assertThat(projection).as("no conflict").isPositive();
        assertThat(projection).isCloseTo(first, within(1e-8 * Math.max(1, Math.abs(first))));
        total += Matrices.dot(g, d) / dNorm;
      }
      assertThat(dNorm).isCloseTo(total, within(1e-8 * Math.max(1, total)));
    }
  }

  @Test
  @DisplayName("FairGrad: (Gw)_i = w_i^(-1/α) holds; orthogonal gradients give w_i = ‖g_i‖^(-2α/(α+1)); larger α favours the weaker task")
  void fairGradCondition() {
    // Orthogonal gradients: G = diag(4, 1). (Gw)_i = G_ii w_i = w_i^(-1/α) → w_i = G_ii^(-α/(α+1)).
    double[][] diagonal = {{4, 0}, {0, 1}};
    for (double alpha : new double[] {0.5, 1, 2, 5}) {
      double[] w = FairGradWeighting.fair(diagonal, alpha);
      assertThat(w[0]).as("α = %s", alpha).isCloseTo(Math.pow(4, -alpha / (alpha + 1)), within(1e-9));
      assertThat(w[1]).as("α = %s", alpha).isCloseTo(1, within(1e-9));
    }
    // The weaker (smaller-gradient) task's share of the update, w_i‖g_i‖², grows toward equal progress as α grows.
    double[] proportional = FairGradWeighting.fair(diagonal, 1);
    double[] maxMin = FairGradWeighting.fair(diagonal, 50);
    assertThat(maxMin[1] / (maxMin[0] * 4)).isGreaterThan(proportional[1] / (proportional[0] * 4));
    for (int trial = 0; trial < 10; trial++) {
      double[][] g = gramian(randomGradients(new Random(400 + trial), 2 + trial % 4, 6));
      double alpha = 0.5 + trial % 3;
      double[] w = FairGradWeighting.fair(Matrices.plusIdentity(g, 1e-6), alpha);
      double[] gw = Matrices.times(Matrices.plusIdentity(g, 1e-6), w);
      for (int i = 0; i < w.length; i++) {
        assertThat(w[i]).isPositive();
        assertThat(gw[i]).isCloseTo(Math.pow(w[i], -1 / alpha), within(1e-7 * Math.pow(w[i], -1 / alpha)));
      }
    }
  }

  @Test
  @DisplayName("SDMGrad: λ = 0 is MGDA's min-norm point, a large λ the average; the weights stay on the simplex and solve its optimality conditions")
  void sdmGradBetweenMgdaAndMean() {
    // g1 = (1,0), g2 = (0,2): MGDA's min-norm convex combination is (0.8, 0.2) (‖d‖² = a² + 4(1−a)², minimal at a = 0.8).
    double[][] g = gramian(new double[] {1, 0}, new double[] {0, 2});
    assertThat(SdmGradWeighting.directionOriented(g, 0)).containsExactly(new double[] {0.8, 0.2}, within(1e-9));
    assertThat(SdmGradWeighting.directionOriented(g, 1e6)).containsExactly(new double[] {0.5, 0.5}, within(1e-5));
    // λ = 1: minimise ½(a² + 4b²) + (a/2 + 2b) on a + b = 1 → a + 1/2 = 4b + 2 → a = 1.1, beyond the simplex: w* = (1, 0).
    // Weights (w* + λu)/(1 + λ) = (1.5, 0.5)/2 = (0.75, 0.25).
    assertThat(SdmGradWeighting.directionOriented(g, 1)).containsExactly(new double[] {0.75, 0.25}, within(1e-9));
    for (int trial = 0; trial < 10; trial++) {
      double[] w = SdmGradWeighting.directionOriented(gramian(randomGradients(new Random(500 + trial), 2 + trial % 4, 6)), 0.3);
      assertThat(Arrays.stream(w).sum()).isCloseTo(1, within(1e-9));
      assertThat(Arrays.stream(w).min().orElseThrow()).isGreaterThanOrEqualTo(0.3 / (1.3 * w.length) - 1e-9);
    }
  }

  @Test
  @DisplayName("DB-MTL: every task's log-loss gradient is scaled to the largest norm; the norms are tracked by a moving average")
  void dbMtlBalancesNorms() {
    // g1 = (2, 0), g2 = (0, 1), losses (2, 0.5): log-loss gradient norms 2/2 = 1 and 1/0.5 = 2.
    double[][] g = gramian(new double[] {2, 0}, new double[] {0, 1});
    double[] average = new double[2];
    double[] steps = new double[2];
    double[] w = DbMtlWeighting.balance(g, new double[] {2, 0.5}, new int[] {0, 1}, average, steps, 0, 0);
    assertThat(w).containsExactly(new double[] {1, 2}, within(1e-12));
    // Invariant: each weighted gradient w_t g_t has the largest log-loss gradient norm, 2.
    assertThat(w[0] * 2).isCloseTo(2, within(1e-12));
    assertThat(w[1] * 1).isCloseTo(2, within(1e-12));
    // β = 0.9 (LibMTL's default), buffer from 0: step 1 tracks (0.1, 0.2); with norms (1, 1) next, step 2 tracks
    // (1 + 0.9(0.1 − 1), 1 + 0.9(0.2 − 1)) = (0.19, 0.28), so w = ((0.28/0.19)/L1, 1/L2).
    Arrays.fill(average, 0);
    Arrays.fill(steps, 0);
    DbMtlWeighting.balance(g, new double[] {2, 0.5}, new int[] {0, 1}, average, steps, 0.9, 0);
    assertThat(average).containsExactly(new double[] {0.1, 0.2}, within(1e-12));
    double[] second = DbMtlWeighting.balance(gramian(new double[] {1, 0}, new double[] {0, 1}), new double[] {1, 1},
        new int[] {0, 1}, average, steps, 0.9, 0);
    assertThat(second).containsExactly(new double[] {0.28 / 0.19, 1}, within(1e-12));
    // Through the plugin: a resumed weighting continues exactly.
    LossWeighting db = new DbMtlWeighting().create(ConfigSection.empty("w"), List.of("a", "b"));
    WeightingInput input = new WeightingInput(0, 0, List.of("a", "b"), new double[] {2, 0.5}, Optional.of(g));
    db.weights(input);
    LossWeighting resumed = new DbMtlWeighting().create(ConfigSection.empty("w"), List.of("a", "b"));
    resumed.restore(db.state());
    assertThat(resumed.weights(input)).containsExactly(db.weights(input));
  }

  @Test
  @DisplayName("MoDo: one projected step on ½λᵀGλ + ρ‖λ‖²/2 by hand; repeated steps with ρ = 0 reach MGDA's min-norm weights")
  void modoFollowsMgda() {
    // G = diag(1, 4), λ = (½, ½), γ = 0.1, ρ = 0: λ − γGλ = (0.45, 0.3); onto the simplex: + 0.125 each = (0.575, 0.425).
    double[][] diagonal = {{1, 0}, {0, 4}};
    assertThat(ModoWeighting.step(diagonal, new double[] {0.5, 0.5}, 0.1, 0)).containsExactly(new double[] {0.575, 0.425}, within(1e-12));
    for (int trial = 0; trial < 5; trial++) {
      double[][] g = gramian(randomGradients(new Random(600 + trial), 2 + trial % 3, 5));
      double[] lambda = Matrices.filled(g.length, 1.0 / g.length);
      double rate = 0.5 / Matrices.trace(g);
      for (int k = 0; k < 20000; k++) {
        lambda = ModoWeighting.step(g, lambda, rate, 0);
        assertThat(Arrays.stream(lambda).sum()).isCloseTo(1, within(1e-9));
      }
      assertThat(Matrices.quadratic(g, lambda)).isCloseTo(Matrices.quadratic(g, MgdaWeighting.minNormWeights(g)),
          within(1e-6 * Matrices.trace(g)));
    }
  }

  @Test
  @DisplayName("MoCo: loss-scaled unit gradients, a tracked Gramian and a softmax step on λ, by hand; larger losses get smaller λ")
  void mocoTracksGramian() {
    // g1 = (2, 0), g2 = (0, 1), losses 1: ĝ are the unit vectors, Ĝ = I. Step 1: β_1 = 0.5 → YYᵀ = ½I;
    // λ = softmax(½ − 0.1·¼, ½ − 0.1·¼) = (½, ½); weights λ_t L_t / ‖g_t‖ = (¼, ½).
    MocoWeighting.Tracker tracker = new MocoWeighting.Tracker(2, 0.5, 0.5, 0.1, 0.5, 0);
    double[] w = tracker.step(gramian(new double[] {2, 0}, new double[] {0, 1}), new double[] {1, 1});
    assertThat(w).containsExactly(new double[] {0.25, 0.5}, within(1e-12));
    // Step 2 with losses (2, 1): β_2 = 0.5/√2, Ĝ = diag(4, 1), YYᵀ = ½I − β_2(½I − Ĝ);
    // λ = softmax(½ − γ_2 YYᵀ_11 ½, ½ − γ_2 YYᵀ_22 ½), γ_2 = 0.1/√2.
    double b2 = 0.5 / Math.sqrt(2);
    double y11 = 0.5 - b2 * (0.5 - 4);
    double y22 = 0.5 - b2 * (0.5 - 1);
    double g2 = 0.1 / Math.sqrt(2);
    double a = 0.5 - g2 * y11 * 0.5;
    double b = 0.5 - g2 * y22 * 0.5;
    double l1 = Math.exp(a) / (Math.exp(a) + Math.exp(b));
    w = tracker.step(gramian(new double[] {2, 0}, new double[] {0, 1}), new double[] {2, 1});
    assertThat(tracker.lambda()).containsExactly(new double[] {l1, 1 - l1}, within(1e-12));
    assertThat(w).containsExactly(new double[] {l1 * 2 / 2, (1 - l1) * 1 / 1}, within(1e-12));
    assertThat(l1).isLessThan(0.5);
    // Invariants on random steps: λ on the simplex, ‖w_t g_t‖ = λ_t L_t.
    SplittableRandom random = new SplittableRandom(7);
    MocoWeighting.Tracker three = new MocoWeighting.Tracker(3, 0.5, 0.5, 0.1, 0.5, 0.01);
    for (int k = 0; k < 50; k++) {
      double[][] gradients = randomGradients(new Random(700 + k), 3, 4);
      double[] losses = {0.5 + random.nextDouble(), 0.5 + random.nextDouble(), 0.5 + random.nextDouble()};
      double[][] gram = gramian(gradients);
      double[] weights = three.step(gram, losses);
      double[] lambda = three.lambda();
      assertThat(Arrays.stream(lambda).sum()).isCloseTo(1, within(1e-12));
      for (int t = 0; t < 3; t++) {
        assertThat(weights[t] * Math.sqrt(gram[t][t])).isCloseTo(lambda[t] * losses[t], within(1e-9));
      }
    }
  }

  @Test
  @DisplayName("GradDrop: per feature, only gradients of the sign drawn with probability P survive; agreeing signs are never dropped; leak 1 is the sum")
  void gradDropPicksASign() {
    // One example, x = (1, −1), g1 = (1, 2), g2 = (−3, 1). Input-signed sums: s1 = (1, −2), s2 = (−3, −1).
    // Feature 0: P = ½(1 + (1 − 3)/(1 + 3)) = 0.25; feature 1: P = ½(1 − 3/3) = 0, both negative, both kept.
    RepresentationGradients g = new RepresentationGradients(1, 2, new float[] {1, -1}, List.of(new float[] {1, 2}, new float[] {-3, 1}));
    assertThat(GradDropWeighting.drop(g, new double[] {0.1, 0.5}, 0)).containsExactly(1, 3); // U0 < P0: the positive task 1 stays
    assertThat(GradDropWeighting.drop(g, new double[] {0.9, 0.5}, 0)).containsExactly(-3, 3); // U0 > P0: the negative task 2 stays
    assertThat(GradDropWeighting.drop(g, new double[] {0.9, 0.5}, 1)).containsExactly(-2, 3); // leak 1: nothing dropped
    assertThat(GradDropWeighting.drop(g, new double[] {0.9, 0.5}, 0.5)).containsExactly(-2.5f, 3); // half of task 1 leaks
    // Over random draws the positive side survives at feature 0 with frequency P = 0.25.
    LossWeighting drop = new GradDropWeighting().create(ConfigSection.empty("w"), List.of("a", "b"));
    int positive = 0;
    int steps = 4000;
    for (int step = 0; step < steps; step++) {
      WeightingInput input = new WeightingInput(step, 0, List.of("a", "b"), new double[] {1, 1}, Optional.of(new double[][] {{5, -1}, {-1, 10}}),
          Optional.of(g));
      assertThat(drop.weights(input)).containsExactly(1, 1);
      positive += drop.combine(input, new double[] {1, 1}).orElseThrow()[0] > 0 ? 1 : 0;
    }
    assertThat(positive / (double) steps).isCloseTo(0.25, within(0.03));
    // Invariant: random gradients whose tasks agree in input-signed sign at every feature lose nothing.
    SplittableRandom random = new SplittableRandom(11);
    for (int trial = 0; trial < 20; trial++) {
      int rows = 3;
      int width = 4;
      float[] values = new float[rows * width];
      float[][] grads = new float[3][rows * width];
      for (int k = 0; k < values.length; k++) {
        values[k] = random.nextBoolean() ? 1 : -1;
        float sign = (k % width) % 2 == 0 ? 1 : -1; // the same sign for every task at a feature, times the input sign
        for (float[] grad : grads) {
          grad[k] = (float) (sign * values[k] * random.nextDouble());
        }
      }
      RepresentationGradients agreeing = new RepresentationGradients(rows, width, values, List.of(grads));
      double[] draws = random.doubles(width).toArray();
      float[] combined = GradDropWeighting.drop(agreeing, draws, 0);
      for (int k = 0; k < combined.length; k++) {
        assertThat(combined[k]).isCloseTo(grads[0][k] + grads[1][k] + grads[2][k], within(1e-6f));
      }
    }
  }

  @Test
  @DisplayName("trimmed mean: each coordinate drops its trim largest and smallest task values; trim 0 is the mean; an outlier moves nothing")
  void trimmedMeanIgnoresExtremes() {
    List<float[]> g = List.of(new float[] {1, 10}, new float[] {2, -4}, new float[] {100, 0}, new float[] {3, 1});
    // Column 0 sorted: 1, 2, 3, 100 → mean of (2, 3) = 2.5; column 1: −4, 0, 1, 10 → mean of (0, 1) = 0.5.
    assertThat(TrimmedMeanWeighting.trimmedMean(g, 1)).containsExactly(2.5f, 0.5f);
    assertThat(TrimmedMeanWeighting.trimmedMean(g, 0)).containsExactly(26.5f, 1.75f);
    // Invariant: with trim ≥ 1, scaling one task's gradient arbitrarily keeps every coordinate within the others' range.
    SplittableRandom random = new SplittableRandom(3);
    for (int trial = 0; trial < 20; trial++) {
      float[][] grads = new float[5][6];
      for (float[] row : grads) {
        for (int k = 0; k < row.length; k++) {
          row[k] = (float) random.nextGaussian();
        }
      }
      for (int k = 0; k < 6; k++) {
        grads[0][k] *= 1e6f;
      }
      float[] out = TrimmedMeanWeighting.trimmedMean(List.of(grads), 1);
      for (int k = 0; k < 6; k++) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int t = 1; t < 5; t++) {
          min = Math.min(min, grads[t][k]);
          max = Math.max(max, grads[t][k]);
        }
        assertThat((double) out[k]).isBetween(min - 1e-6, max + 1e-6);
      }
    }
    // Too few tasks for the trim is a config problem naming the setting.
    ConfigSection settings = ConfigSection.of("run.yaml", Path.of("."), Map.of("trim", 2));
    new TrimmedMeanWeighting().create(settings, List.of("a", "b", "c", "d"));
    assertThat(settings.source().problems()).extracting(p -> p.message()).anySatisfy(m -> assertThat(m).contains("trim").contains("2·trim"));
  }

  @Test
  @DisplayName("ExcessMTL: excess risks Σ g²/√Σg² by hand, relative to the first step's; the weights grow by exp(η e/e₀) and sum to T")
  void excessMtlByHand() {
    ExcessMtlWeighting.Estimator estimator = new ExcessMtlWeighting.Estimator(2, 0.5);
    // Step 1, g = (1, 2) on one feature: sums of squares (1, 4), e = (1/1, 4/2) = (1, 2): the reference; weights stay 1.
    assertThat(estimator.step(new double[][] {{1}, {2}})).containsExactly(1, 1);
    // Step 2, g = (1, 1): sums (2, 5), e = (1/√2, 1/√5), relative (1/√2, 1/(2√5)); w ∝ exp(0.5 · relative), sum 2.
    // (ε = 1e-7 under every square root, as in the reference.)
    double e = 1e-7;
    double a = Math.exp(0.5 * (1 / Math.sqrt(2 + e)) / (1 / Math.sqrt(1 + e)));
    double b = Math.exp(0.5 * (1 / Math.sqrt(5 + e)) / (4 / Math.sqrt(4 + e)));
    double[] w = estimator.step(new double[][] {{1}, {1}});
    assertThat(w).containsExactly(new double[] {2 * a / (a + b), 2 * b / (a + b)}, within(1e-9));
    assertThat(w[0]).isGreaterThan(w[1]); // task a is further from converged, relative to where it started
    // Through the plugin: representation gradients summed over the batch's rows.
    RepresentationGradients g = new RepresentationGradients(2, 1, new float[] {1, 1}, List.of(new float[] {0.5f, 0.5f}, new float[] {1, 1}));
    assertThat(ExcessMtlWeighting.batchSummed(g)).isDeepEqualTo(new double[][] {{1}, {2}});
    LossWeighting excess = new ExcessMtlWeighting().create(ConfigSection.empty("w"), List.of("a", "b"));
    for (int step = 0; step < 10; step++) {
      double[] weights = excess.weights(new WeightingInput(step, 0, List.of("a", "b"), new double[] {1, 1},
          Optional.of(new double[][] {{1, 0}, {0, 4}}), Optional.of(g)));
      assertThat(weights[0] + weights[1]).isCloseTo(2, within(1e-12));
    }
  }

  @Test
  @DisplayName("Nash-MTL: the weights are the bargaining fixed point (Gα)_i = 1/α_i")
  void nashFixedPoint() {
    // Orthogonal gradients: α_i = 1/‖g_i‖ in the normalised Gramian (ridge aside).
    double[][] diagonal = {{4, 0}, {0, 1}};
    double[] w = NashMtlWeighting.bargain(diagonal);
    double[][] n = NashMtlWeighting.normalized(diagonal);
    assertThat(w[0]).isCloseTo(1 / Math.sqrt(n[0][0]), within(1e-9));
    assertThat(w[1]).isCloseTo(1 / Math.sqrt(n[1][1]), within(1e-9));
    for (int trial = 0; trial < 10; trial++) {
      double[][] g = gramian(randomGradients(new Random(trial), 2 + trial % 4, 5));
      double[] alpha = NashMtlWeighting.bargain(g);
      double[] galpha = Matrices.times(NashMtlWeighting.normalized(g), alpha);
      for (int i = 0; i < alpha.length; i++) {
        assertThat(alpha[i]).isPositive();
        assertThat(galpha[i] * alpha[i]).isCloseTo(1, within(1e-8));
      }
    }
  }

  @Test
  @DisplayName("Aligned-MTL: hand-worked weights, and the balanced gradients are orthogonal with norm √λ_min")
  void alignedBalance() {
    // G = diag(4, 1): B = diag(½, 1), weights (½, 1); ‖½ g1‖ = ‖g2‖ = 1.
    double[][] diagonal = {{4, 0}, {0, 1}};
    double[][] b = AlignedMtlWeighting.balance(diagonal);
    assertThat(Matrices.times(b, new double[] {1, 1})).containsExactly(new double[] {0.5, 1}, within(1e-12));
    double[][] g = gramian(randomGradients(new Random(8), 3, 5));
    double[][] balance = AlignedMtlWeighting.balance(g);
    double smallest = Matrices.symmetricEigen(g).values()[2];
    // B G B = λ_min I: the aligned gradients are orthogonal with equal norms.
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        double bgb = 0;
        for (int k = 0; k < 3; k++) {
          for (int l = 0; l < 3; l++) {
            bgb += balance[i][k] * g[k][l] * balance[l][j];
          }
        }
        assertThat(bgb).isCloseTo(i == j ? smallest : 0, within(1e-9));
      }
    }
  }

  @Test
  @DisplayName("UPGrad: hand-worked dual-cone projections, and an update that conflicts with no task")
  void upgradProjection() {
    // Projecting g1 = (1,0) onto the dual cone of {g1, g2=(-1,1)}: v = (1, ½), i.e. (½, ½) ⟂ g2.
    double[][] g = gramian(G1, G2);
    // (The solver's ridge of 1e-12 · trace moves answers by about 1e-12.)
    assertThat(UpGradWeighting.projection(g, 0)).containsExactly(new double[] {1, 0.5}, within(1e-10));
    assertThat(UpGradWeighting.projection(g, 1)).containsExactly(new double[] {1, 1}, within(1e-10));
    assertThat(UpGradWeighting.averagedProjections(g)).containsExactly(new double[] {1, 0.75}, within(1e-10));
    Random random = new Random(21);
    for (int trial = 0; trial < 20; trial++) {
      double[][] grads = randomGradients(random, 2 + trial % 5, 3);
      double[][] gram = gramian(grads);
      double[] w = UpGradWeighting.averagedProjections(gram);
      assertThat(Arrays.stream(w).min().orElseThrow()).isGreaterThanOrEqualTo(-1e-12);
      double[] d = combine(w, grads);
      for (double[] task : grads) {
        assertThat(Matrices.dot(task, d)).isGreaterThanOrEqualTo(-1e-9);
      }
      // Each projection is the closest point of the dual cone: KKT of min vᵀGv, v ≥ e_i.
      for (int i = 0; i < grads.length; i++) {
        double[] v = UpGradWeighting.projection(gram, i);
        double[] gv = Matrices.times(gram, v);
        for (int k = 0; k < v.length; k++) {
          double lower = k == i ? 1 : 0;
          assertThat(v[k]).isGreaterThanOrEqualTo(lower - 1e-12);
          assertThat(gv[k]).isGreaterThanOrEqualTo(-1e-9);
          if (v[k] > lower + 1e-7) {
            assertThat(gv[k]).isCloseTo(0, within(1e-8));
          }
        }
      }
    }
  }

  @Test
  @DisplayName("every gradient method reads its Gramian choice from `gramian`, representation by default")
  void gramianChoice() {
    for (var provider : List.of(new MgdaWeighting(), new PcGradWeighting(), new CaGradWeighting(), new ImtlGWeighting(),
        new NashMtlWeighting(), new AlignedMtlWeighting(), new UpGradWeighting(), new GradNormWeighting(), new DualProjWeighting(),
        new KrumWeighting(), new GradVacWeighting(), new ImtlWeighting(), new ConfigWeighting(), new FairGradWeighting(), new SdmGradWeighting(),
        new DbMtlWeighting(), new ModoWeighting(), new MocoWeighting())) {
      LossWeighting byDefault = provider.create(ConfigSection.of("run.yaml", Path.of("."), Map.of()), List.of("a", "b"));
      LossWeighting exact = provider.create(ConfigSection.of("run.yaml", Path.of("."), Map.of("gramian", "parameters")), List.of("a", "b"));
      assertThat(byDefault.need()).as(provider.name()).isEqualTo(GradientNeed.GRAMIAN_ON_REPRESENTATION);
      assertThat(exact.need()).as(provider.name()).isEqualTo(GradientNeed.GRAMIAN_ON_PARAMETERS);
      ConfigSection bad = ConfigSection.of("run.yaml", Path.of("."), Map.of("gramian", "layers"));
      provider.create(bad, List.of("a", "b"));
      assertThat(bad.source().problems()).extracting(p -> p.message()).anySatisfy(m -> assertThat(m).contains("`gramian` was 'layers'"));
    }
  }

  @Test
  @DisplayName("a step whose task gradients are all zero gets equal weights, not NaNs")
  void zeroGradients() {
    LossWeighting mgda = new MgdaWeighting().create(ConfigSection.empty("w"), List.of("a", "b"));
    double[] w = mgda.weights(new WeightingInput(0, 0, List.of("a", "b"), new double[] {1, 1}, Optional.of(new double[][] {{0, 0}, {0, 0}})));
    assertThat(w).containsExactly(0.5, 0.5);
  }
}
