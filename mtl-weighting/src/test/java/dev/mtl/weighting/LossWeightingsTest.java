package dev.mtl.weighting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Loss-based weightings (and GradNorm, which learns from losses and gradient norms) on hand-worked inputs. */
class LossWeightingsTest {
  private static final List<String> TASKS = List.of("a", "b", "c");

  private static LossWeighting create(LossWeightingProvider provider, Map<String, Object> settings, int tasks) {
    ConfigSection section = ConfigSection.of("run.yaml", Path.of("."), settings);
    LossWeighting weighting = provider.create(section, TASKS.subList(0, tasks));
    assertThat(section.source().problems()).isEmpty();
    return weighting;
  }

  private static WeightingInput input(long step, int epoch, double... losses) {
    return new WeightingInput(step, epoch, TASKS.subList(0, losses.length), losses, Optional.empty());
  }

  @Test
  @DisplayName("uncertainty: starts at weight 1 and learns exp(-s) = 1/L for steady losses")
  void uncertaintyLearnsInverseLoss() {
    LossWeighting w = create(new UncertaintyWeighting(), Map.of("learning-rate", 0.02), 3);
    double[] losses = {0.5, 2, 4};
    assertThat(w.weights(input(0, 0, losses))).containsExactly(1, 1, 1);
    double[] last = null;
    for (int step = 1; step < 4000; step++) {
      last = w.weights(input(step, 0, losses));
    }
    for (int t = 0; t < 3; t++) {
      assertThat(last[t]).isCloseTo(1 / losses[t], within(0.02 / losses[t]));
    }
  }

  @Test
  @DisplayName("DWA: weight 1 for two epochs, then T·softmax of last epochs' loss ratios over τ")
  void dwaFollowsDescentRates() {
    LossWeighting w = create(new DwaWeighting(), Map.of("temperature", 2.0), 3);
    assertThat(w.weights(input(0, 0, 1, 1, 1))).containsExactly(1, 1, 1);
    assertThat(w.weights(input(1, 0, 1, 1, 1))).containsExactly(1, 1, 1);
    assertThat(w.weights(input(2, 1, 0.4, 1, 1.6))).containsExactly(1, 1, 1);
    assertThat(w.weights(input(3, 1, 0.6, 1, 1.4))).containsExactly(1, 1, 1);
    // Epoch means: e0 = (1, 1, 1), e1 = (0.5, 1, 1.5) → r = (0.5, 1, 1.5).
    double[] expected = new double[3];
    double[] r = {0.5, 1, 1.5};
    double total = 0;
    for (int t = 0; t < 3; t++) {
      expected[t] = Math.exp(r[t] / 2);
      total += expected[t];
    }
    for (int t = 0; t < 3; t++) {
      expected[t] *= 3 / total;
    }
    assertThat(w.weights(input(4, 2, 9, 9, 9))).containsExactly(expected, within(1e-12));
    assertThat(w.weights(input(5, 2, 1, 1, 1))).as("constant within an epoch").containsExactly(expected, within(1e-12));
  }

  @Test
  @DisplayName("RLW: a softmax draw per step that sums to 1, repeats for the same seed and step, averages 1/T")
  void rlwRandomButRepeatable() {
    LossWeighting w = create(new RlwWeighting(), Map.of("seed", 3), 3);
    LossWeighting again = create(new RlwWeighting(), Map.of("seed", 3), 3);
    double[] mean = new double[3];
    for (int step = 0; step < 20000; step++) {
      double[] x = w.weights(input(step, 0, 1, 1, 1));
      assertThat(x).containsExactly(again.weights(input(step, 0, 1, 1, 1)));
      assertThat(x[0] + x[1] + x[2]).isCloseTo(1, within(1e-12));
      for (int t = 0; t < 3; t++) {
        mean[t] += x[t] / 20000;
      }
    }
    assertThat(w.weights(input(1, 0, 1, 1, 1))).isNotEqualTo(w.weights(input(2, 0, 1, 1, 1)));
    assertThat(mean).containsExactly(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, within(0.01));
  }

  @Test
  @DisplayName("GLS: the weights are the geometric mean's partial derivatives, so Σ w_t ∇L_t is its gradient")
  void glsIsGeometricMeanGradient() {
    double[] losses = {0.3, 1.7, 4.0};
    double[] w = GlsWeighting.geometric(losses);
    for (int t = 0; t < 3; t++) {
      double h = 1e-6;
      double[] up = losses.clone();
      double[] down = losses.clone();
      up[t] += h;
      down[t] -= h;
      double derivative = (Math.cbrt(up[0] * up[1] * up[2]) - Math.cbrt(down[0] * down[1] * down[2])) / (2 * h);
      assertThat(w[t]).isCloseTo(derivative, within(1e-8));
    }
  }

  @Test
  @DisplayName("GradNorm: the hand-worked gradient of the norm loss, and weights that equalise weighted gradient norms")
  void gradnormBalancesNorms() {
    double[][] gramian = {{4, 0}, {0, 1}};
    // Norms (2, 1), weights 1, equal training rates: target 1.5 → ∂ = (sign(2-1.5)·2, sign(1-1.5)·1).
    assertThat(GradNormWeighting.normGradient(new double[] {1, 1}, gramian, new double[] {1, 1}, new double[] {1, 1}, 1.5))
        .containsExactly(2, -1);
    LossWeighting w = create(new GradNormWeighting(), Map.of("learning-rate", 0.01), 2);
    double[] last = null;
    for (int step = 0; step < 3000; step++) {
      last = w.weights(new WeightingInput(step, 0, TASKS.subList(0, 2), new double[] {1, 1}, Optional.of(gramian)));
    }
    // w1·2 = w2·1 and w1 + w2 = 2 → (2/3, 4/3).
    assertThat(last).containsExactly(new double[] {2.0 / 3, 4.0 / 3}, within(0.03));
  }

  @Test
  @DisplayName("stateful weightings keep state per task, so steps that train only some tasks (task sampling) work")
  void stateIsPerTask() {
    LossWeighting uncertainty = create(new UncertaintyWeighting(), Map.of("learning-rate", 0.02), 3);
    for (int step = 0; step < 3000; step++) {
      uncertainty.weights(new WeightingInput(step, 0, List.of("b"), new double[] {4}, Optional.empty()));
    }
    double[] both = uncertainty.weights(new WeightingInput(3000, 0, List.of("c", "b"), new double[] {1, 4}, Optional.empty()));
    assertThat(both[0]).as("c, never trained before").isEqualTo(1);
    assertThat(both[1]).as("b learned 1/L").isCloseTo(0.25, within(0.02));

    LossWeighting dwa = create(new DwaWeighting(), Map.of(), 3);
    for (int epoch = 0; epoch < 2; epoch++) {
      dwa.weights(new WeightingInput(epoch * 2, epoch, List.of("a"), new double[] {epoch == 0 ? 1 : 0.5}, Optional.empty()));
      dwa.weights(new WeightingInput(epoch * 2 + 1, epoch, List.of("b"), new double[] {1}, Optional.empty()));
    }
    double[] third = dwa.weights(new WeightingInput(4, 2, List.of("a", "b", "c"), new double[] {1, 1, 1}, Optional.empty()));
    // a: ratio 0.5, b: ratio 1 → 2·softmax(0.25, 0.5); c has no history → 1.
    double ea = Math.exp(0.25);
    double eb = Math.exp(0.5);
    assertThat(third).containsExactly(new double[] {2 * ea / (ea + eb), 2 * eb / (ea + eb), 1}, within(1e-12));
  }

  @Test
  @DisplayName("FAMO: weights z_t/L_t normalised (uniform z at the start: ∝ 1/L); the task whose log-loss fell fastest loses weight")
  void famo() {
    LossWeighting famo = new FamoWeighting().create(ConfigSection.of("run", Path.of("."), Map.of("learning-rate", 0.1, "gamma", 0.0)),
        List.of("a", "b"));
    // Step 0: ξ = 0, z = (1/2, 1/2): w ∝ (1/4, 1/1) → (0.2, 0.8); the weighted losses w_t L_t are equal.
    double[] w0 = famo.weights(new WeightingInput(0, 0, List.of("a", "b"), new double[] {4, 1}, Optional.empty()));
    assertThat(w0).containsExactly(new double[] {0.2, 0.8}, within(1e-12));
    // Step 1: a's loss halved (δ_a = log 2), b's stayed (δ_b = 0): ∂/∂ξ_a = z_a(δ_a − zᵀδ) > 0, so ξ_a falls and a's z drops.
    double[] w1 = famo.weights(new WeightingInput(1, 0, List.of("a", "b"), new double[] {2, 1}, Optional.empty()));
    double za = w1[0] * 2;
    double zb = w1[1] * 1;
    assertThat(za / (za + zb)).isLessThan(0.5);
    assertThat(w1[0] + w1[1]).isCloseTo(1, within(1e-12));
    // A step that trains another task set compares nothing: ξ stays, so z stays.
    double[] w2 = famo.weights(new WeightingInput(2, 0, List.of("a"), new double[] {1}, Optional.empty()));
    assertThat(w2).containsExactly(1.0);
  }

  @Test
  @DisplayName("STCH: Σ log L during warm-up (w = 1/L); then the smooth max of log(L/nadir): Σ w_t L_t = T, the task furthest behind leads")
  void stch() {
    LossWeighting stch = new StchWeighting().create(ConfigSection.of("run", Path.of("."), Map.of("mu", 1.0, "warmup-epochs", 1)),
        List.of("a", "b"));
    // Warm-up epoch 0: losses (2, 0.5) then (4, 0.5): weights 1/L; nadir = means (3, 0.5).
    assertThat(stch.weights(new WeightingInput(0, 0, List.of("a", "b"), new double[] {2, 0.5}, Optional.empty())))
        .containsExactly(new double[] {0.5, 2}, within(1e-12));
    stch.weights(new WeightingInput(1, 0, List.of("a", "b"), new double[] {4, 0.5}, Optional.empty()));
    // Epoch 1, losses (1.5, 1): L/n = (0.5, 2); μ = 1: w_t L_t ∝ L_t/n_t = (0.5, 2) → (0.2, 0.8)·T = (0.4, 1.6).
    double[] w = stch.weights(new WeightingInput(2, 1, List.of("a", "b"), new double[] {1.5, 1}, Optional.empty()));
    assertThat(w[0] * 1.5).isCloseTo(0.4, within(1e-12));
    assertThat(w[1] * 1).isCloseTo(1.6, within(1e-12));
    // Small μ: nearly all of the step to task b, the one furthest above its nadir.
    LossWeighting sharp = new StchWeighting().create(ConfigSection.of("run", Path.of("."), Map.of("mu", 0.01)), List.of("a", "b"));
    sharp.weights(new WeightingInput(0, 0, List.of("a", "b"), new double[] {3, 0.5}, Optional.empty()));
    double[] v = sharp.weights(new WeightingInput(1, 1, List.of("a", "b"), new double[] {1.5, 1}, Optional.empty()));
    assertThat(v[1] * 1).isCloseTo(2, within(1e-9));
    assertThat(v[0]).isLessThan(1e-9);
  }
}
