package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A small random transformer on the PyTorch engine: it trains, masks padding, and saves and loads. */
class TransformerTrainingTest {
  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());

  private static final TransformerShape SHAPE = new TransformerShape(40, 32, 2, 4, 64, 24, 2, 1e-12);
  private static final int MARKER = 7;

  private static ModelGraph graph(double dropout) {
    return new ModelGraph(List.of(new Layer.Transformer("encoder", SHAPE, dropout), new Layer.Pool("pool", "encoder", PoolKind.MEAN)),
        List.of(new Head("t", "pool", new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("without", "with")), 0)));
  }

  private static Network network(double dropout) {
    return engine.create(new NetworkSpec(graph(dropout), SHAPE.vocabularySize(), 0), new OptimizerSettings("adam", 0.001), 5);
  }

  /** Rows of 3..16 random ids (never padding 0), half of them holding the marker somewhere; class 1 if they do. */
  private static SourceBatch batch(Random random, int rows) {
    int[][] tokens = new int[rows][];
    float[][] labels = new float[rows][1];
    for (int i = 0; i < rows; i++) {
      tokens[i] = random.ints(3 + random.nextInt(14), 1, SHAPE.vocabularySize()).map(id -> id == MARKER ? MARKER + 1 : id).toArray();
      if (random.nextBoolean()) {
        tokens[i][random.nextInt(tokens[i].length)] = MARKER;
        labels[i][0] = 1;
      }
    }
    return new SourceBatch(new TokenBatch(tokens), Map.of("t", labels));
  }

  @Test
  @DisplayName("learns which texts hold a marker token (dropout 0.1), and every transformer parameter moves")
  void learns(@TempDir Path dir) throws Exception {
    Random random = new Random(3);
    SourceBatch test = batch(new Random(99), 64);
    try (Network network = network(0.1)) {
      network.save(Files.createDirectories(dir.resolve("start")));
      Map<String, ParameterFile.Tensor> start = ParameterFile.read(dir.resolve("start").resolve(ParameterLayout.FILE));
      double first = 0;
      double last = 0;
      for (int step = 0; step < 150; step++) {
        double loss = network.trainStep(new TrainStep(List.of(batch(random, 16)), TestWeightings.equal(), step, 0, 0.002,
            GradientNeed.LOSSES_ONLY)).losses().get("t");
        if (step < 10) {
          first += loss / 10;
        }
        if (step >= 140) {
          last += loss / 10;
        }
      }
      assertThat(first).isCloseTo(Math.log(2), within(0.15));
      assertThat(last).isLessThan(0.25);
      assertThat(right(network, test)).as("right of 64 held-out texts").isGreaterThanOrEqualTo(58);
      network.save(Files.createDirectories(dir.resolve("end")));
      Map<String, ParameterFile.Tensor> end = ParameterFile.read(dir.resolve("end").resolve(ParameterLayout.FILE));
      for (String name : start.keySet()) {
        if (name.equals("encoder.embeddings.token_type_embeddings.weight")) {
          continue; // row 1 is never used: mtl feeds type 0 only
        }
        assertThat(end.get(name).values()).as(name).isNotEqualTo(start.get(name).values());
      }
    }
  }

  @Test
  @DisplayName("a text's scores do not depend on the padding its batch adds, and survive saving and loading")
  void masksPaddingAndLoads(@TempDir Path dir) throws Exception {
    int[] text = {3, 9, 12, 7, 30};
    int[] longer = new Random(1).ints(20, 1, SHAPE.vocabularySize()).toArray();
    try (Network network = network(0)) {
      float[] alone = network.predict(new TokenBatch(new int[][] {text}), List.of("t")).get("t")[0];
      float[] padded = network.predict(new TokenBatch(new int[][] {longer, text}), List.of("t")).get("t")[1];
      assertThat(padded).containsExactly(alone, offset(1e-6f));
      network.save(dir);
      try (Network loaded = engine.load(new NetworkSpec(graph(0), SHAPE.vocabularySize(), 0), dir)) {
        assertThat(loaded.predict(new TokenBatch(new int[][] {text}), List.of("t")).get("t")[0]).containsExactly(alone);
      }
    }
  }

  @Test
  @DisplayName("resumed from a checkpoint (dropout 0.1, top layer only), the next steps' losses equal an uninterrupted run's")
  void resumesExactly(@TempDir Path dir) throws Exception {
    ModelGraph topOnly = new ModelGraph(List.of(new Layer.Transformer("encoder", SHAPE, 0.1, 1),
        new Layer.Pool("pool", "encoder", PoolKind.MEAN)), graph(0.1).heads());
    NetworkSpec spec = new NetworkSpec(topOnly, SHAPE.vocabularySize(), 0);
    OptimizerSettings adam = new OptimizerSettings("adam", 0.001);
    List<SourceBatch> batches = new ArrayList<>();
    Random random = new Random(8);
    for (int i = 0; i < 10; i++) {
      batches.add(batch(random, 8));
    }
    double[] straight = new double[5];
    try (Network network = engine.create(spec, adam, 5)) {
      for (int step = 0; step < 10; step++) {
        double loss = step(network, batches.get(step), step);
        if (step == 4) {
          network.saveCheckpoint(Files.createDirectories(dir.resolve("checkpoint")));
        }
        if (step >= 5) {
          straight[step - 5] = loss;
        }
      }
    }
    try (Network resumed = engine.resume(spec, adam, 5, dir.resolve("checkpoint"))) {
      for (int step = 5; step < 10; step++) {
        assertThat(step(resumed, batches.get(step), step)).as("loss at step %d", step).isEqualTo(straight[step - 5]);
      }
    }
  }

  @Test
  @DisplayName("training only the top layer leaves the embeddings and the layer below exactly as they started")
  void trainsTopLayersOnly(@TempDir Path dir) throws Exception {
    ModelGraph topOnly = new ModelGraph(List.of(new Layer.Transformer("encoder", SHAPE, 0, 1),
        new Layer.Pool("pool", "encoder", PoolKind.MEAN)), graph(0).heads());
    try (Network network = engine.create(new NetworkSpec(topOnly, SHAPE.vocabularySize(), 0), new OptimizerSettings("adam", 0.001), 5)) {
      network.save(Files.createDirectories(dir.resolve("start")));
      Random random = new Random(4);
      for (int step = 0; step < 5; step++) {
        step(network, batch(random, 8), step);
      }
      network.save(Files.createDirectories(dir.resolve("end")));
    }
    Map<String, ParameterFile.Tensor> start = ParameterFile.read(dir.resolve("start").resolve(ParameterLayout.FILE));
    Map<String, ParameterFile.Tensor> end = ParameterFile.read(dir.resolve("end").resolve(ParameterLayout.FILE));
    for (String name : start.keySet()) {
      boolean trains = name.startsWith("encoder.encoder.layer.1.") || name.startsWith("head.");
      if (trains && !name.contains("token_type")) {
        assertThat(end.get(name).values()).as(name).isNotEqualTo(start.get(name).values());
      } else if (!trains) {
        assertThat(end.get(name).values()).as(name).isEqualTo(start.get(name).values());
      }
    }
  }

  @Test
  @DisplayName("layer-wise decay 0.5: the first step moves the top layer as without it, each layer below half as far, the embeddings"
      + " a quarter (2 layers), the head as without it")
  void layerDecayScalesEachLayersStep(@TempDir Path dir) throws Exception {
    Map<String, float[]> plain = firstStep(new OptimizerSettings("adam", 0.001), dir.resolve("plain"));
    Map<String, float[]> decayed = firstStep(new OptimizerSettings("adam", 0.001, 0, 0, 0, "none", 0, "sparse", 0.5), dir.resolve("decayed"));
    for (String name : plain.keySet()) {
      double factor = name.startsWith("encoder.embeddings.") ? 0.25 : name.startsWith("encoder.encoder.layer.0.") ? 0.5 : 1;
      float[] expected = plain.get(name).clone();
      for (int i = 0; i < expected.length; i++) {
        expected[i] *= (float) factor;
      }
      assertThat(decayed.get(name)).as(name).containsExactly(expected, offset(2e-7f));
    }
    assertThat(maxAbs(plain.get("encoder.embeddings.word_embeddings.weight"))).as("an embedding step").isGreaterThan(1e-4);
  }

  /** Per parameter, how far one step from the seeded start moves it. */
  private static Map<String, float[]> firstStep(OptimizerSettings settings, Path dir) throws Exception {
    try (Network network = engine.create(new NetworkSpec(graph(0), SHAPE.vocabularySize(), 0), settings, 5)) {
      network.save(Files.createDirectories(dir.resolve("start")));
      step(network, batch(new Random(6), 16), 0);
      network.save(Files.createDirectories(dir.resolve("end")));
    }
    Map<String, ParameterFile.Tensor> start = ParameterFile.read(dir.resolve("start").resolve(ParameterLayout.FILE));
    Map<String, ParameterFile.Tensor> end = ParameterFile.read(dir.resolve("end").resolve(ParameterLayout.FILE));
    Map<String, float[]> moved = new LinkedHashMap<>();
    start.forEach((name, before) -> {
      float[] delta = end.get(name).values().clone();
      for (int i = 0; i < delta.length; i++) {
        delta[i] -= before.values()[i];
      }
      moved.put(name, delta);
    });
    return moved;
  }

  private static double maxAbs(float[] values) {
    double max = 0;
    for (float v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  /**
   * A frozen transformer read twice: plainly by task "plain" and through adapters by task "t"
   * (the marker task), each pooled into its own head.
   */
  private static ModelGraph adapted(int adapterSize) {
    OutputSpec output = new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("without", "with"));
    return new ModelGraph(List.of(new Layer.Transformer("encoder", SHAPE, 0, 0), new Layer.AdaptedTransformer("adapted", "encoder",
        adapterSize), new Layer.Pool("plain.pool", "encoder", PoolKind.MEAN), new Layer.Pool("pool", "adapted", PoolKind.MEAN)),
        List.of(new Head("plain", "plain.pool", output, 0), new Head("t", "pool", output, 0)));
  }

  @Test
  @DisplayName("adapters in a frozen transformer: the identity at the start, then only they and the head train, and they learn the"
      + " marker task")
  void adaptersTrainAloneInsideAFrozenTransformer(@TempDir Path dir) throws Exception {
    SourceBatch test = batch(new Random(99), 64);
    try (Network network = engine.create(new NetworkSpec(adapted(16), SHAPE.vocabularySize(), 0), new OptimizerSettings("adam", 0.01), 5)) {
      network.save(Files.createDirectories(dir.resolve("start")));
      Map<String, ParameterFile.Tensor> start = ParameterFile.read(dir.resolve("start").resolve(ParameterLayout.FILE));
      network.setParameters(Map.of("head.t.weight", start.get("head.plain.weight"), "head.t.bias", start.get("head.plain.bias")));
      Map<String, float[][]> before = network.predict(test.tokens(), List.of("plain", "t"));
      for (int i = 0; i < before.get("t").length; i++) {
        assertThat(before.get("t")[i]).as("row %d", i).containsExactly(before.get("plain")[i], offset(1e-6f));
      }
      Random random = new Random(3);
      double last = 0;
      for (int step = 0; step < 150; step++) {
        double loss = network.trainStep(new TrainStep(List.of(batch(random, 16)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).losses().get("t");
        last += step >= 140 ? loss / 10 : 0;
      }
      // A frozen random transformer keeps little of one token after mean pooling: the adapters learn it slowly, but they do.
      assertThat(last).isLessThan(0.85 * Math.log(2));
      assertThat(right(network, test)).as("right of 64 held-out texts").isGreaterThanOrEqualTo(44);
      network.save(Files.createDirectories(dir.resolve("end")));
    }
    Map<String, ParameterFile.Tensor> start = ParameterFile.read(dir.resolve("start").resolve(ParameterLayout.FILE));
    Map<String, ParameterFile.Tensor> end = ParameterFile.read(dir.resolve("end").resolve(ParameterLayout.FILE));
    for (String name : start.keySet()) {
      if (name.startsWith("adapted.") || name.startsWith("head.t.")) {
        assertThat(end.get(name).values()).as(name).isNotEqualTo(start.get(name).values());
      } else if (!name.startsWith("head.")) {
        assertThat(end.get(name).values()).as(name).isEqualTo(start.get(name).values());
      }
    }
  }

  /** How many of {@code test}'s texts task "t" classifies right. */
  private static int right(Network network, SourceBatch test) {
    float[][] scores = network.predict(test.tokens(), List.of("t")).get("t");
    int right = 0;
    for (int i = 0; i < scores.length; i++) {
      right += (scores[i][1] > 0.5) == (test.targets().get("t")[i][0] == 1) ? 1 : 0;
    }
    return right;
  }

  private static double step(Network network, SourceBatch batch, int step) {
    return network.trainStep(new TrainStep(List.of(batch), TestWeightings.equal(), step, 0, 0.002, GradientNeed.LOSSES_ONLY))
        .losses().get("t");
  }

  @Test
  @DisplayName("a batch longer than the position embedding is refused, saying how to cut texts")
  void refusesLongBatches() {
    try (Network network = network(0)) {
      int[] tooLong = new int[SHAPE.maxPositions() + 1];
      Arrays.fill(tooLong, 5);
      assertThatThrownBy(() -> network.predict(new TokenBatch(new int[][] {tooLong}), Set.of("t")))
          .hasMessageContaining("24 positions").hasMessageContaining("max-length");
    }
  }
}
