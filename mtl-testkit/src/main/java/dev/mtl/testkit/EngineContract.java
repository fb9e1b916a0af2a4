package dev.mtl.testkit;

import static dev.mtl.testkit.SyntheticTasks.PAD;
import static dev.mtl.testkit.SyntheticTasks.TASKS;
import static dev.mtl.testkit.SyntheticTasks.VOCAB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.NonFiniteException;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link Engine} must do, checked on {@link SyntheticTasks}: learn, keep padding out,
 * repeat a run from its seed, save and resume exactly, leave parameters alone on a non-finite
 * step, and compute per-task gradients (the Gramian) the same whether tasks share a pass or not.
 * Extend it in an engine's tests and implement {@link #createEngine()}; encoders the engine
 * reports {@link Engine#unsupported} are skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class EngineContract {
  private static final OptimizerSettings ADAM = new OptimizerSettings("adam", 0.01);
  private static final double RATE = 0.01;
  private Engine engine;

  /** A fresh engine with default settings; the contract closes it. */
  protected abstract Engine createEngine();

  @BeforeAll
  void startEngine() {
    engine = createEngine();
  }

  @AfterAll
  void closeEngine() {
    engine.close();
  }

  private NetworkSpec spec(EncoderKind encoder, double dropout) {
    NetworkSpec spec = new NetworkSpec(SyntheticTasks.graph(encoder, dropout), VOCAB, PAD);
    assumeTrue(engine.unsupported(spec.graph()).isEmpty(), () -> "the engine does not run " + encoder);
    return spec;
  }

  private static List<StepResult> train(Network network, long seed, int steps) {
    Random random = new Random(seed);
    List<StepResult> results = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      results.add(network.trainStep(new TrainStep(List.of(SyntheticTasks.batch(random, 32)), TestWeightings.equal(), step, 0, RATE,
          GradientNeed.LOSSES_ONLY)));
    }
    return results;
  }

  private static double meanLoss(List<StepResult> results, String task, int from, int to) {
    return results.subList(from, to).stream().mapToDouble(r -> r.losses().get(task)).average().orElseThrow();
  }

  private static void assertClose(Map<String, float[][]> actual, Map<String, float[][]> expected, float tolerance) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((task, rows) -> {
      for (int i = 0; i < rows.length; i++) {
        assertThat(actual.get(task)[i]).as("%s row %d", task, i).containsExactly(rows[i], within(tolerance));
      }
    });
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("every encoder it runs learns all three kinds of task: the losses fall and the rule shows in the scores")
  void learns(EncoderKind encoder) {
    try (Network network = engine.create(spec(encoder, 0.1), ADAM, 1)) {
      List<StepResult> results = train(network, 2, 150);
      for (String task : List.of("has5", "has67")) {
        assertThat(meanLoss(results, task, 130, 150)).as(task).isLessThan(0.6 * meanLoss(results, task, 0, 20));
      }
      assertThat(meanLoss(results, "share8", 130, 150)).isLessThan(meanLoss(results, "share8", 0, 20));
      float[][] has5 = network.predict(new TokenBatch(new int[][] {{5, 5, 5}, {1, 2, 3}}), List.of("has5")).get("has5");
      assertThat(has5[0][1]).isGreaterThan(0.8f);
      assertThat(has5[1][1]).isLessThan(0.2f);
    }
  }

  @Test
  @DisplayName("the same seed gives the same training, dropout included; another seed does not")
  void deterministic() {
    List<StepResult> first;
    try (Network network = engine.create(spec(EncoderKind.CNN, 0.3), ADAM, 7)) {
      first = train(network, 3, 20);
    }
    try (Network network = engine.create(spec(EncoderKind.CNN, 0.3), ADAM, 7)) {
      assertThat(train(network, 3, 20)).isEqualTo(first);
    }
    try (Network network = engine.create(spec(EncoderKind.CNN, 0.3), ADAM, 8)) {
      assertThat(train(network, 3, 20)).isNotEqualTo(first);
    }
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("a text scores the same alone and padded in a batch with longer texts; an empty text gets finite scores")
  void paddingDoesNotLeak(EncoderKind encoder) {
    try (Network network = engine.create(spec(encoder, 0), ADAM, 1)) {
      train(network, 4, 5);
      int[] text = {3, 5, 9};
      Map<String, float[][]> alone = network.predict(new TokenBatch(new int[][] {text}), TASKS);
      Map<String, float[][]> padded = network.predict(new TokenBatch(new int[][] {{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 12}, text, {}}), TASKS);
      for (String task : TASKS) {
        assertThat(padded.get(task)[1]).as(task).containsExactly(alone.get(task)[0], within(1e-5f));
        for (float x : padded.get(task)[2]) {
          assertThat(x).as(task).isFinite();
        }
      }
    }
  }

  @Test
  @DisplayName("a new network starts at its spec's start values, and every other parameter at its layout's draw")
  void startValues(@TempDir Path dir) throws Exception {
    NetworkSpec plain = spec(EncoderKind.CNN, 0.2);
    float[] bias = {-3.5f, 1.25f};
    NetworkSpec given = new NetworkSpec(plain.graph(), VOCAB, PAD,
        Map.of(ParameterLayout.headPrefix("has67") + "bias", new ParameterFile.Tensor(new long[] {2}, bias)));
    try (Network network = engine.create(given, ADAM, 3)) {
      network.save(dir);
    }
    ParameterLayout layout = ParameterLayout.of(plain.graph(), VOCAB, PAD);
    Map<String, ParameterFile.Tensor> saved = layout.readSaved(dir);
    Map<String, ParameterFile.Tensor> drawn = layout.initialValues(3);
    assertThat(saved.keySet()).isEqualTo(drawn.keySet());
    drawn.forEach((name, tensor) -> assertThat(saved.get(name).values()).as(name)
        .containsExactly(name.equals("head.has67.bias") ? bias : tensor.values()));
  }

  @Test
  @DisplayName("what save writes, load predicts the same from; a loaded network does not train")
  void saveLoad(@TempDir Path dir) throws Exception {
    NetworkSpec spec = spec(EncoderKind.CNN, 0.2);
    TokenBatch texts = SyntheticTasks.batch(new Random(9), 16).tokens();
    Map<String, float[][]> before;
    try (Network network = engine.create(spec, ADAM, 1)) {
      train(network, 5, 10);
      before = network.predict(texts, TASKS);
      network.save(dir);
    }
    try (Network loaded = engine.load(spec, dir)) {
      assertClose(loaded.predict(texts, TASKS), before, 1e-6f);
      assertThatThrownBy(() -> loaded.trainStep(new TrainStep(List.of(SyntheticTasks.batch(new Random(1), 4)), TestWeightings.equal(), 0,
          0, RATE, GradientNeed.LOSSES_ONLY))).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  @DisplayName("startFrom trains on from saved parameters: it predicts what was saved, and its first loss is the saved network's next")
  void startFromSaved(@TempDir Path dir) throws Exception {
    NetworkSpec spec = spec(EncoderKind.CNN, 0);
    TokenBatch texts = SyntheticTasks.batch(new Random(9), 16).tokens();
    Map<String, float[][]> saved;
    StepResult next;
    try (Network network = engine.create(spec, ADAM, 1)) {
      train(network, 5, 10);
      saved = network.predict(texts, TASKS);
      network.save(dir);
      next = network.trainStep(step(5));
    }
    try (Network tuned = engine.startFrom(spec, ADAM, 1, dir)) {
      assertClose(tuned.predict(texts, TASKS), saved, 1e-6f);
      StepResult first = tuned.trainStep(step(5));
      for (String task : TASKS) {
        assertThat(first.losses().get(task)).isCloseTo(next.losses().get(task), within(1e-5));
      }
      assertThat(tuned.predict(texts, TASKS).get(TASKS.get(0))[0]).isNotEqualTo(saved.get(TASKS.get(0))[0]);
    }
  }

  @Test
  @DisplayName("with ema-decay, save and predict read the moving average of the parameters; training goes on from the parameters")
  void movingAverage(@TempDir Path dir) throws Exception {
    NetworkSpec spec = spec(EncoderKind.CNN, 0.2);
    // Dense embedding updates: the raw parameters as saved are then exactly what the average follows.
    OptimizerSettings plain = ADAM.withEmbeddingUpdates("dense");
    OptimizerSettings averaging = plain.withAverageDecay(0.9);
    ParameterLayout layout = ParameterLayout.of(spec.graph(), VOCAB, PAD);
    Map<String, float[]> expected = new LinkedHashMap<>();
    layout.initialValues(5).forEach((name, tensor) -> expected.put(name, tensor.values().clone()));
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    try (Network raw = engine.create(spec, plain, 5); Network averaged = engine.create(spec, averaging, 5)) {
      for (int n = 1; n <= 6; n++) {
        StepResult rawStep = raw.trainStep(step(n));
        StepResult averagedStep = averaged.trainStep(step(n));
        assertThat(averagedStep.losses()).as("step %d trains the parameters, not the average", n).isEqualTo(rawStep.losses());
        Path rawDir = Files.createDirectories(dir.resolve("raw-" + n));
        raw.save(rawDir);
        float keep = (float) (1 - averaging.averageDecayAt(n));
        layout.readSaved(rawDir).forEach((name, theta) -> {
          float[] a = expected.get(name);
          for (int i = 0; i < a.length; i++) {
            a[i] -= keep * (a[i] - theta.values()[i]);
          }
        });
      }
      averaged.save(Files.createDirectories(dir.resolve("averaged")));
      Map<String, ParameterFile.Tensor> saved = layout.readSaved(dir.resolve("averaged"));
      expected.forEach((name, a) -> assertThat(saved.get(name).values()).as(name).containsExactly(a, within(1e-5f)));
      assertThat(averaged.predict(probe, TASKS).get("has5")[0]).isNotEqualTo(raw.predict(probe, TASKS).get("has5")[0]);
      try (Network loaded = engine.load(spec, dir.resolve("averaged"))) {
        assertClose(averaged.predict(probe, TASKS), loaded.predict(probe, TASKS), 1e-6f);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, 0.9})
  @DisplayName("a checkpoint resumes exactly: the same losses and predictions as the run that never stopped (with ema-decay too)")
  void resumeIsExact(double averageDecay, @TempDir Path dir) throws Exception {
    NetworkSpec spec = spec(EncoderKind.CNN, 0.3);
    OptimizerSettings settings = ADAM.withAverageDecay(averageDecay);
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    List<StepResult> straight = new ArrayList<>();
    Map<String, float[][]> end;
    try (Network network = engine.create(spec, settings, 11)) {
      for (int step = 0; step < 6; step++) {
        straight.add(network.trainStep(step(step)));
        if (step == 2) {
          network.saveCheckpoint(dir);
        }
      }
      end = network.predict(probe, TASKS);
    }
    try (Network resumed = engine.resume(spec, settings, 11, dir)) {
      for (int step = 3; step < 6; step++) {
        StepResult result = resumed.trainStep(step(step));
        for (String task : TASKS) {
          assertThat(result.losses().get(task)).as("step %d %s", step, task).isCloseTo(straight.get(step).losses().get(task), within(1e-6));
        }
      }
      assertClose(resumed.predict(probe, TASKS), end, 1e-6f);
    }
  }

  private static TrainStep step(int step) {
    return new TrainStep(List.of(SyntheticTasks.batch(new Random(100 + step), 16)), TestWeightings.equal(), step, 0, RATE,
        GradientNeed.LOSSES_ONLY);
  }

  @Test
  @DisplayName("a step whose weighted loss is not finite throws NonFiniteException and changes no parameter")
  void nonFiniteChangesNothing() {
    TokenBatch probe = SyntheticTasks.batch(new Random(50), 8).tokens();
    LossWeighting huge = TestWeightings.needing(GradientNeed.LOSSES_ONLY, input -> new double[] {1e300, 1, 1});
    try (Network network = engine.create(spec(EncoderKind.MEAN, 0), ADAM, 1)) {
      Map<String, float[][]> before = network.predict(probe, TASKS);
      assertThatThrownBy(() -> network.trainStep(new TrainStep(List.of(SyntheticTasks.batch(new Random(1), 16)), huge, 0, 0, RATE,
          GradientNeed.LOSSES_ONLY))).isInstanceOf(NonFiniteException.class).hasMessageContaining("not finite");
      assertClose(network.predict(probe, TASKS), before, 0f);
    }
  }

  @Test
  @DisplayName("per-task gradients: the Gramian is the same when each task's rows come in a pass of their own")
  void gramianOfSeparatePasses() {
    SourceBatch joint = SyntheticTasks.batch(new Random(3), 16);
    List<SourceBatch> separate = TASKS.stream()
        .map(task -> new SourceBatch(joint.tokens(), Map.of(task, joint.targets().get(task)))).toList();
    double[][] together = gramian(List.of(joint));
    double[][] apart = gramian(separate);
    for (int i = 0; i < TASKS.size(); i++) {
      for (int j = 0; j < TASKS.size(); j++) {
        assertThat(apart[i][j]).as("G[%d][%d]", i, j).isCloseTo(together[i][j], within(1e-4 * Math.abs(together[i][i]) + 1e-7));
      }
    }
  }

  private double[][] gramian(List<SourceBatch> batches) {
    try (Network network = engine.create(spec(EncoderKind.CNN, 0), ADAM, 5)) {
      StepResult result = network.trainStep(new TrainStep(batches, TestWeightings.equal(), 0, 0, RATE, GradientNeed.GRAMIAN_ON_PARAMETERS));
      assertThat(result.gramian()).as("the Gramian asked for to measure").isPresent();
      assertThat(List.copyOf(result.losses().keySet())).containsExactlyElementsOf(TASKS);
      return result.gramian().orElseThrow();
    }
  }

  @ParameterizedTest
  @EnumSource(value = GradientNeed.class, names = {"GRAMIAN_ON_REPRESENTATION", "GRAMIAN_ON_PARAMETERS"})
  @DisplayName("weights a gradient-based weighting gives are applied as the same weights given without a Gramian")
  void gradientWeightsApplied(GradientNeed need) {
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    double[] weights = {0.2, 1.5, 3};
    LossWeighting viaGramian = TestWeightings.needing(need, input -> weights.clone());
    LossWeighting fixed = TestWeightings.needing(GradientNeed.LOSSES_ONLY, input -> weights.clone());
    try (Network a = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4); Network b = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4)) {
      for (int step = 0; step < 3; step++) {
        List<SourceBatch> batches = List.of(SyntheticTasks.batch(new Random(20 + step), 16));
        StepResult x = a.trainStep(new TrainStep(batches, viaGramian, step, 0, RATE, GradientNeed.LOSSES_ONLY));
        StepResult y = b.trainStep(new TrainStep(batches, fixed, step, 0, RATE, GradientNeed.LOSSES_ONLY));
        assertThat(x.weights()).isEqualTo(y.weights());
        x.losses().forEach((task, loss) -> assertThat(loss).as(task).isCloseTo(y.losses().get(task), within(1e-5)));
      }
      assertClose(a.predict(probe, TASKS), b.predict(probe, TASKS), 1e-5f);
    }
  }

  @Test
  @DisplayName("a weighting that combines the representation gradients itself steers the layers below: its own weighted sum"
      + " trains like the same weights, a zero combination trains differently")
  void combinedGradientsApplied() {
    assumeTrue(engine.unsupported(GradientNeed.GRADIENTS_ON_REPRESENTATION).isEmpty(), "the engine does not hand gradients to weightings");
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    double[] weights = {0.2, 1.5, 3};
    LossWeighting fixed = TestWeightings.needing(GradientNeed.LOSSES_ONLY, input -> weights.clone());
    try (Network a = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4); Network b = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4);
        Network c = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4)) {
      for (int step = 0; step < 3; step++) {
        List<SourceBatch> batches = List.of(SyntheticTasks.batch(new Random(20 + step), 16));
        StepResult x = a.trainStep(new TrainStep(batches, combining(weights, 1), step, 0, RATE, GradientNeed.LOSSES_ONLY));
        StepResult y = b.trainStep(new TrainStep(batches, fixed, step, 0, RATE, GradientNeed.LOSSES_ONLY));
        c.trainStep(new TrainStep(batches, combining(weights, 0), step, 0, RATE, GradientNeed.LOSSES_ONLY));
        assertThat(x.weights()).isEqualTo(y.weights());
        x.losses().forEach((task, loss) -> assertThat(loss).as(task).isCloseTo(y.losses().get(task), within(1e-5)));
      }
      Map<String, float[][]> reference = b.predict(probe, TASKS);
      assertClose(a.predict(probe, TASKS), reference, 1e-5f);
      Map<String, float[][]> frozenTrunk = c.predict(probe, TASKS);
      boolean differs = TASKS.stream().anyMatch(task -> {
        float[][] p = frozenTrunk.get(task);
        float[][] q = reference.get(task);
        for (int r = 0; r < p.length; r++) {
          for (int k = 0; k < p[r].length; k++) {
            if (Math.abs(p[r][k] - q[r][k]) > 1e-4f) {
              return true;
            }
          }
        }
        return false;
      });
      assertThat(differs).as("a zero gradient below the representation must change what the trunk learns").isTrue();
    }
  }

  @Test
  @DisplayName("meta batch: with the training batch as its own meta batch, every block of the meta Gramian is the training"
      + " Gramian, whose cross terms are the Gramian on the shared parameters")
  void metaGramianOfTheSameBatch() {
    assumeTrue(engine.unsupported(GradientNeed.GRAMIAN_WITH_META_BATCH).isEmpty(), "the engine runs no meta batches");
    SourceBatch batch = SyntheticTasks.batch(new Random(3), 16);
    AtomicReference<WeightingInput> seen = new AtomicReference<>();
    LossWeighting recording = new LossWeighting() {
      @Override
      public GradientNeed need() {
        return GradientNeed.GRAMIAN_WITH_META_BATCH;
      }

      @Override
      public double[] weights(WeightingInput input) {
        seen.set(input);
        return new double[] {1, 1, 1};
      }
    };
    try (Network network = engine.create(spec(EncoderKind.CNN, 0), ADAM, 5)) {
      network.trainStep(new TrainStep(List.of(batch), recording, 0, 0, RATE, GradientNeed.LOSSES_ONLY, List.of(batch)));
    }
    double[][] shared = gramian(List.of(batch));
    WeightingInput input = seen.get();
    MetaGradients meta = input.meta().orElseThrow();
    int n = TASKS.size();
    for (int s = 0; s < n; s++) {
      assertThat(meta.losses()[s]).as("meta loss %d", s).isCloseTo(input.losses()[s], within(1e-6));
      for (int t = 0; t < n; t++) {
        double scale = 1e-4 * Math.sqrt(meta.training(s, s) * meta.training(t, t)) + 1e-7;
        assertThat(meta.alignment(s, t)).as("<h_%d, g_%d>", s, t).isCloseTo(meta.training(s, t), within(scale));
        assertThat(meta.meta(s, t)).as("<h_%d, h_%d>", s, t).isCloseTo(meta.training(s, t), within(scale));
        if (s != t) {
          assertThat(meta.training(s, t)).as("G[%d][%d]", s, t).isCloseTo(shared[s][t], within(scale));
        } else {
          assertThat(meta.training(s, s)).as("‖g_%d‖² includes the head", s).isGreaterThan(shared[s][s]);
        }
      }
    }
  }

  @Test
  @DisplayName("soft class targets (distillation): a one-hot distribution trains exactly as its class index; a mixed one"
      + " gives the cross-entropy against it")
  void softClassTargets() {
    SourceBatch batch = SyntheticTasks.batch(new Random(11), 16);
    float[][] indices = batch.targets().get("has5");
    float[][] oneHot = new float[indices.length][];
    float[][] mixed = new float[indices.length][];
    for (int i = 0; i < indices.length; i++) {
      oneHot[i] = indices[i][0] == 1 ? new float[] {0, 1} : new float[] {1, 0};
      float yes = 0.15f + 0.7f * indices[i][0] - 0.05f * (i % 3);
      mixed[i] = new float[] {1 - yes, yes};
    }
    try (Network a = engine.create(spec(EncoderKind.CNN, 0), ADAM, 5); Network b = engine.create(spec(EncoderKind.CNN, 0), ADAM, 5);
        Network c = engine.create(spec(EncoderKind.CNN, 0), ADAM, 5)) {
      for (int step = 0; step < 3; step++) {
        StepResult byIndex = a.trainStep(new TrainStep(List.of(batch), TestWeightings.equal(), step, 0, RATE, GradientNeed.LOSSES_ONLY));
        StepResult byDistribution = b.trainStep(new TrainStep(List.of(withTargets(batch, "has5", oneHot)), TestWeightings.equal(),
            step, 0, RATE, GradientNeed.LOSSES_ONLY));
        assertThat(byDistribution.losses().get("has5")).isCloseTo(byIndex.losses().get("has5"), within(1e-6));
      }
      assertClose(b.predict(batch.tokens(), TASKS), a.predict(batch.tokens(), TASKS), 1e-6f);
      float[][] before = c.predict(batch.tokens(), List.of("has5")).get("has5");
      double expected = 0;
      for (int i = 0; i < mixed.length; i++) {
        expected -= (mixed[i][0] * Math.log(before[i][0]) + mixed[i][1] * Math.log(before[i][1])) / mixed.length;
      }
      StepResult soft = c.trainStep(new TrainStep(List.of(withTargets(batch, "has5", mixed)), TestWeightings.equal(), 0, 0, RATE,
          GradientNeed.LOSSES_ONLY));
      assertThat(soft.losses().get("has5")).isCloseTo(expected, within(1e-5));
    }
  }

  /** The batch with {@code task}'s targets replaced. */
  private static SourceBatch withTargets(SourceBatch batch, String task, float[][] targets) {
    Map<String, float[][]> all = new LinkedHashMap<>(batch.targets());
    all.put(task, targets);
    return new SourceBatch(batch.tokens(), all, batch.rowWeights());
  }

  @Test
  @DisplayName("meta batch: weights on its losses move the parameters as those weights on the same batch for training would")
  void metaWeightsApplied() {
    assumeTrue(engine.unsupported(GradientNeed.GRAMIAN_WITH_META_BATCH).isEmpty(), "the engine runs no meta batches");
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    double[] weights = {0.2, 1.5, 3};
    LossWeighting metaOnly = new LossWeighting() {
      @Override
      public GradientNeed need() {
        return GradientNeed.GRAMIAN_WITH_META_BATCH;
      }

      @Override
      public double[] weights(WeightingInput input) {
        return new double[3];
      }

      @Override
      public Optional<double[]> metaWeights(WeightingInput input, double[] w) {
        return Optional.of(weights.clone());
      }
    };
    LossWeighting fixed = TestWeightings.needing(GradientNeed.LOSSES_ONLY, input -> weights.clone());
    try (Network a = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4); Network b = engine.create(spec(EncoderKind.CNN, 0), ADAM, 4)) {
      for (int step = 0; step < 3; step++) {
        SourceBatch train = SyntheticTasks.batch(new Random(20 + step), 16);
        SourceBatch meta = SyntheticTasks.batch(new Random(40 + step), 16);
        a.trainStep(new TrainStep(List.of(train), metaOnly, step, 0, RATE, GradientNeed.LOSSES_ONLY, List.of(meta)));
        b.trainStep(new TrainStep(List.of(meta), fixed, step, 0, RATE, GradientNeed.LOSSES_ONLY));
      }
      assertClose(a.predict(probe, TASKS), b.predict(probe, TASKS), 1e-5f);
    }
  }

  /** Weights {@code weights}; combines the representation gradients into {@code scale · Σ w_t g_t} in Java. */
  private static LossWeighting combining(double[] weights, double scale) {
    return new LossWeighting() {
      @Override
      public GradientNeed need() {
        return GradientNeed.GRADIENTS_ON_REPRESENTATION;
      }

      @Override
      public double[] weights(WeightingInput input) {
        assertThat(input.gradients()).as("the per-task gradients the weighting needs").isPresent();
        return weights.clone();
      }

      @Override
      public Optional<float[]> combine(WeightingInput input, double[] w) {
        RepresentationGradients g = input.gradients().orElseThrow();
        float[] sum = new float[g.rows() * g.width()];
        for (int t = 0; t < w.length; t++) {
          float[] gradient = g.byTask().get(t);
          for (int k = 0; k < sum.length; k++) {
            sum[k] += (float) (scale * w[t] * gradient[k]);
          }
        }
        return Optional.of(sum);
      }
    };
  }
}
