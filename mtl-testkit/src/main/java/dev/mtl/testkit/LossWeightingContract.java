package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of a loss weighting: one finite weight per task, every step, for three tasks, for
 * one, and for steps over some of them; non-negative unless the method says otherwise ({@link #promisesNonNegativeWeights()}).
 * Weightings that need a Gramian get a real one (of three explicit gradients, one conflicting);
 * those that need the gradients themselves get them too, and what they combine must be finite and
 * the representation's size.
 */
public abstract class LossWeightingContract extends PluginContract<LossWeightingProvider> {
  protected static final List<String> TASKS = List.of("a", "b", "c");

  /** Settings of a valid weighting for tasks a, b and c; empty by default. */
  protected Map<String, Object> settings() {
    return Map.of();
  }

  /** False for methods whose weights can be negative (e.g. PCGrad, IMTL-G, Aligned-MTL). */
  protected boolean promisesNonNegativeWeights() {
    return true;
  }

  /** The Gramian of g1 = (2, 0, 0), g2 = (0.5, 3, 0), g3 = (-1, 0, 0.5); g3 conflicts with g1 and g2. */
  protected static final double[][] GRAMIAN = {{4, 1, -2}, {1, 9.25, -0.5}, {-2, -0.5, 1.25}};

  /** The three gradients behind {@link #GRAMIAN}, as one example's gradients on a width-3 representation. */
  private static final float[][] GRADIENTS = {{2, 0, 0}, {0.5f, 3, 0}, {-1, 0, 0.5f}};

  /** What the engine would give {@code weighting} in a step over {@code tasks} (the first of a, b, c). */
  protected static WeightingInput input(LossWeighting weighting, long step, int epoch, List<String> tasks, double[] losses) {
    int n = tasks.size();
    Optional<double[][]> gramian = Optional.empty();
    if (weighting.need() != GradientNeed.LOSSES_ONLY) {
      double[][] g = new double[n][n];
      for (int i = 0; i < n; i++) {
        System.arraycopy(GRAMIAN[i], 0, g[i], 0, n);
      }
      gramian = Optional.of(g);
    }
    Optional<RepresentationGradients> gradients = weighting.need() != GradientNeed.GRADIENTS_ON_REPRESENTATION ? Optional.empty()
        : Optional.of(new RepresentationGradients(1, 3, new float[] {0.3f, -0.2f, 0.5f},
            Arrays.stream(GRADIENTS).limit(n).map(float[]::clone).toList()));
    Optional<MetaGradients> meta = weighting.need() != GradientNeed.GRAMIAN_WITH_META_BATCH ? Optional.empty()
        : Optional.of(metaGradients(n, step));
    return new WeightingInput(step, epoch, tasks, losses, gramian, gradients, meta);
  }

  /**
   * The first {@code n} tasks' training gradients {@link #GRADIENTS} and meta-batch gradients that
   * change from step to step (the first task's agrees with the training gradients, the others drift).
   */
  private static MetaGradients metaGradients(int n, long step) {
    double drift = Math.sin(step);
    double[][] meta = {{1.5, 0.5, 0}, {drift, 2, 1}, {-0.5, 0.2 * drift, 1}};
    double[][] vectors = new double[2 * n][];
    double[] metaLosses = new double[n];
    for (int i = 0; i < n; i++) {
      vectors[i] = new double[] {GRADIENTS[i][0], GRADIENTS[i][1], GRADIENTS[i][2]};
      vectors[n + i] = meta[i];
      metaLosses[i] = 1 + 0.1 * i + 0.01 * step;
    }
    double[][] gramian = new double[2 * n][2 * n];
    for (int i = 0; i < 2 * n; i++) {
      for (int j = 0; j < 2 * n; j++) {
        for (int k = 0; k < 3; k++) {
          gramian[i][j] += vectors[i][k] * vectors[j][k];
        }
      }
    }
    return new MetaGradients(metaLosses, gramian);
  }

  @Override
  protected final Class<LossWeightingProvider> pluginInterface() {
    return LossWeightingProvider.class;
  }

  protected LossWeighting create() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    LossWeighting weighting = plugin().create(section, TASKS);
    assertThat(section.source().problems()).isEmpty();
    return weighting;
  }

  @Test
  @DisplayName("gives one finite weight per task over many steps and epochs, non-negative where promised")
  void weightsAreValid() {
    LossWeighting weighting = create();
    for (int step = 0; step < 40; step++) {
      double[] losses = {1.0 / (step + 1), 2.0, 0.5 + step};
      WeightingInput input = input(weighting, step, step / 5, TASKS, losses);
      double[] w = weighting.weights(input);
      assertThat(w).hasSize(TASKS.size());
      for (double x : w) {
        assertThat(x).isFinite();
        if (promisesNonNegativeWeights()) {
          assertThat(x).isGreaterThanOrEqualTo(0);
        }
      }
      weighting.metaWeights(input, w).ifPresent(meta -> {
        assertThat(weighting.need()).as("only a weighting given a meta batch can weigh its losses")
            .isEqualTo(GradientNeed.GRAMIAN_WITH_META_BATCH);
        assertThat(meta).hasSize(TASKS.size());
        for (double x : meta) {
          assertThat(x).isFinite();
        }
      });
      weighting.combine(input, w).ifPresent(combined -> {
        assertThat(weighting.need()).as("only a weighting given the gradients can combine them").isEqualTo(GradientNeed.GRADIENTS_ON_REPRESENTATION);
        assertThat(combined).hasSize(3);
        for (float x : combined) {
          assertThat(x).isFinite();
        }
      });
    }
  }

  @Test
  @DisplayName("a fresh instance given the saved state() continues exactly (checkpoint and resume)")
  void stateRoundTrip() {
    LossWeighting original = create();
    List<WeightingInput> inputs = new ArrayList<>();
    for (int step = 0; step < 30; step++) {
      double[] losses = {1.0 / (step + 1), 2.0 + step % 3, 0.5 + step};
      inputs.add(input(original, step, step / 6, TASKS, losses));
    }
    for (int step = 0; step < 15; step++) {
      original.weights(inputs.get(step));
    }
    LossWeighting resumed = create();
    resumed.restore(original.state());
    for (int step = 15; step < 30; step++) {
      assertThat(resumed.weights(inputs.get(step))).as("step %d", step).containsExactly(original.weights(inputs.get(step)));
    }
  }

  @Test
  @DisplayName("a step that trains some of the run's tasks (task sampling) gets a weight for each of them, unless the weighting says it needs every task each step")
  void stepsOverSomeTasks() {
    LossWeighting weighting = create();
    List<String> some = TASKS.subList(0, 2);
    for (int step = 0; step < 20; step++) {
      boolean everyTask = step % 2 == 0;
      List<String> tasks = everyTask ? TASKS : some;
      double[] losses = Arrays.copyOf(new double[] {1.0 / (step + 1), 2.0, 0.5 + step}, tasks.size());
      WeightingInput input = input(weighting, step, step / 5, tasks, losses);
      if (!everyTask && weighting.needsEveryTaskEachStep()) {
        // What it promises instead: to refuse such a step rather than weigh it wrongly (the run's
        // setup stops such a config before training).
        assertThatThrownBy(() -> weighting.weights(input)).isInstanceOf(IllegalStateException.class);
        continue;
      }
      double[] w = weighting.weights(input);
      assertThat(w).as("step %d over %s", step, tasks).hasSize(tasks.size());
      for (double x : w) {
        assertThat(x).isFinite();
        if (promisesNonNegativeWeights()) {
          assertThat(x).isGreaterThanOrEqualTo(0);
        }
      }
    }
  }

  @Test
  @DisplayName("works for a run with a single task")
  void singleTask() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    LossWeighting weighting = plugin().create(section, List.of("a"));
    for (int step = 0; step < 5; step++) {
      WeightingInput input = input(weighting, step, 0, List.of("a"), new double[] {0.7});
      double[] w = weighting.weights(input);
      assertThat(w).hasSize(1);
      // The task trains: on its own loss, or (FORUM) on its meta-batch loss.
      double meta = weighting.metaWeights(input, w).map(m -> m[0]).orElse(0.0);
      assertThat(w[0]).isFinite().isGreaterThanOrEqualTo(0);
      assertThat(w[0] + meta).isPositive();
    }
  }
}
