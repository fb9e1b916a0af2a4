package dev.mtl.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Lookahead;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Three synthetic tasks over random token sequences with known rules: single-label "does token 5
 * occur", multi-label "which of tokens 6, 7 occur", regression "share of token 8". Models must
 * learn them, and the engine must be exact about padding, seeds and saving.
 */
class DjlNetworkTest {
  private static final int VOCAB = 20;
  private static final int PAD = 0;
  private static final LossWeighting EQUAL = TestWeightings.equal();
  private static Engine engine;

  @BeforeAll
  static void start() {
    engine = new DjlEngineProvider().create(ConfigSection.empty("engine"));
  }

  @AfterAll
  static void stop() {
    engine.close();
  }

  static ModelGraph graph(EncoderKind encoder, double dropout) {
    return new ModelGraph(List.of(
        new Layer.Embedding("emb", 16, dropout),
        new Layer.Encoder("enc", "emb", encoder, 12),
        new Layer.Pool("pool", "enc", encoder.defaultPooling())),
        List.of(
            new Head("has5", "pool", new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("no", "yes")), dropout),
            new Head("has67", "pool", new OutputSpec(2, LossKind.SIGMOID_BINARY_CROSS_ENTROPY, List.of("six", "seven")), dropout),
            new Head("share8", "pool", new OutputSpec(1, LossKind.HUBER, List.of("share")), dropout)));
  }

  static SourceBatch batch(Random random, int size) {
    int[][] rows = new int[size][];
    float[][] has5 = new float[size][];
    float[][] has67 = new float[size][];
    float[][] share8 = new float[size][];
    for (int i = 0; i < size; i++) {
      int length = 2 + random.nextInt(10);
      rows[i] = new int[length];
      int eights = 0;
      for (int t = 0; t < length; t++) {
        rows[i][t] = 1 + random.nextInt(VOCAB - 1);
        eights += rows[i][t] == 8 ? 1 : 0;
      }
      if (random.nextBoolean()) {
        rows[i][random.nextInt(length)] = 5;
      }
      int[] row = rows[i];
      has5[i] = new float[] {Arrays.stream(row).anyMatch(x -> x == 5) ? 1 : 0};
      has67[i] = new float[] {Arrays.stream(row).anyMatch(x -> x == 6) ? 1 : 0, Arrays.stream(row).anyMatch(x -> x == 7) ? 1 : 0};
      share8[i] = new float[] {(float) Arrays.stream(row).filter(x -> x == 8).count() / length};
    }
    return new SourceBatch(new TokenBatch(rows), Map.of("has5", has5, "has67", has67, "share8", share8));
  }

  private static List<StepResult> train(Network network, long seed, int steps) {
    Random random = new Random(seed);
    List<StepResult> results = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      results.add(network.trainStep(List.of(batch(random, 32)), EQUAL, step, 0, GradientNeed.LOSSES_ONLY));
    }
    return results;
  }

  private static double meanLoss(List<StepResult> results, String task, int from, int to) {
    return results.subList(from, to).stream().mapToDouble(r -> r.losses().get(task)).average().orElseThrow();
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("every encoder learns all three kinds of task: the losses fall")
  void learns(EncoderKind encoder) {
    try (Network network = engine.create(graph(encoder, 0.1), VOCAB, PAD, new OptimizerSettings("adam", 0.01), 1)) {
      List<StepResult> results = train(network, 2, 150);
      for (String task : List.of("has5", "has67")) {
        assertThat(meanLoss(results, task, 130, 150)).as(task).isLessThan(0.6 * meanLoss(results, task, 0, 20));
      }
      assertThat(meanLoss(results, "share8", 130, 150)).isLessThan(meanLoss(results, "share8", 0, 20));
      Map<String, float[][]> scores = network.predict(new TokenBatch(new int[][] {{5, 5, 5}, {1, 2, 3}}), List.of("has5"));
      assertThat(scores.get("has5")[0][1]).isGreaterThan(0.8f);
      assertThat(scores.get("has5")[1][1]).isLessThan(0.2f);
    }
  }

  @Test
  @DisplayName("the same seed gives bit-identical training, dropout included")
  void deterministic() {
    List<StepResult> first;
    List<StepResult> second;
    try (Network network = engine.create(graph(EncoderKind.CNN, 0.3), VOCAB, PAD, new OptimizerSettings("adam", 0.01), 7)) {
      first = train(network, 3, 20);
    }
    try (Network network = engine.create(graph(EncoderKind.CNN, 0.3), VOCAB, PAD, new OptimizerSettings("adam", 0.01), 7)) {
      second = train(network, 3, 20);
    }
    assertThat(second).isEqualTo(first);
    try (Network network = engine.create(graph(EncoderKind.CNN, 0.3), VOCAB, PAD, new OptimizerSettings("adam", 0.01), 8)) {
      assertThat(train(network, 3, 20)).isNotEqualTo(first);
    }
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("a text scores the same alone and padded in a batch with longer texts")
  void paddingDoesNotLeak(EncoderKind encoder) {
    try (Network network = engine.create(graph(encoder, 0), VOCAB, PAD, new OptimizerSettings("adam", 0.01), 1)) {
      train(network, 4, 5);
      List<String> tasks = List.of("has5", "has67", "share8");
      int[] text = {3, 5, 9};
      Map<String, float[][]> alone = network.predict(new TokenBatch(new int[][] {text}), tasks);
      Map<String, float[][]> padded = network.predict(new TokenBatch(new int[][] {{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 12}, text, {}}), tasks);
      for (String task : tasks) {
        float[] a = alone.get(task)[0];
        float[] b = padded.get(task)[1];
        for (int i = 0; i < a.length; i++) {
          assertThat(b[i]).as(task).isCloseTo(a[i], within(1e-5f));
        }
        for (float x : padded.get(task)[2]) {
          assertThat(x).as("an empty text still gets finite scores").isFinite();
        }
      }
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "embedding updates {0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"sparse", "dense"})
  @DisplayName("a lookahead measurement leaves the network exactly as it was: the same predictions and the same next steps")
  void lookaheadRestores(String updates) {
    OptimizerSettings adam = new OptimizerSettings("adam", 0.01).withEmbeddingUpdates(updates);
    try (Network measured = engine.create(graph(EncoderKind.CNN, 0), VOCAB, PAD, adam, 3);
        Network plain = engine.create(graph(EncoderKind.CNN, 0), VOCAB, PAD, adam, 3)) {
      Random random = new Random(5);
      for (int step = 0; step < 6; step++) {
        List<SourceBatch> batches = List.of(batch(random, 16));
        Lookahead look = measured.lookahead(batches, 0.5);
        assertThat(look.tasks()).containsExactly("has5", "has67", "share8");
        // A step on a task's own gradient lowers its loss.
        for (int t = 0; t < 3; t++) {
          assertThat(look.affinity()[t][t]).as("step %d task %d", step, t).isPositive();
        }
        StepResult a = measured.trainStep(batches, EQUAL, step, 0, GradientNeed.LOSSES_ONLY);
        StepResult b = plain.trainStep(batches, EQUAL, step, 0, GradientNeed.LOSSES_ONLY);
        assertThat(a.losses()).isEqualTo(b.losses());
        assertThat(look.before()).containsExactly(a.losses().values().stream().mapToDouble(Double::doubleValue).toArray(),
            Offset.offset(1e-6));
      }
      TokenBatch probe = batch(new Random(9), 8).tokens();
      assertThat(measured.predict(probe, List.of("has5")).get("has5")).isDeepEqualTo(plain.predict(probe, List.of("has5")).get("has5"));
    }
  }

  @Test
  @DisplayName("saved and loaded parameters predict exactly the same")
  void saveLoad(@TempDir Path dir) throws Exception {
    ModelGraph graph = graph(EncoderKind.BILSTM, 0.2);
    TokenBatch texts = batch(new Random(9), 16).tokens();
    List<String> tasks = List.of("has5", "has67", "share8");
    Map<String, float[][]> before;
    try (Network network = engine.create(graph, VOCAB, PAD, new OptimizerSettings("adam", 0.01), 1)) {
      train(network, 5, 10);
      before = network.predict(texts, tasks);
      network.save(dir);
    }
    try (Network loaded = engine.load(graph, VOCAB, PAD, dir)) {
      Map<String, float[][]> after = loaded.predict(texts, tasks);
      for (String task : tasks) {
        assertThat(after.get(task)).isDeepEqualTo(before.get(task));
      }
      assertThatThrownBy(() -> loaded.trainStep(List.of(), EQUAL, 0, 0, GradientNeed.LOSSES_ONLY)).hasMessageContaining("loaded for prediction");
    }
    assertThatThrownBy(() -> engine.load(graph(EncoderKind.CNN, 0.2), VOCAB, PAD, dir))
        .hasMessageContaining("lacks parameter enc.conv3.weight").hasMessageContaining("retrain or restore it");
  }
}
