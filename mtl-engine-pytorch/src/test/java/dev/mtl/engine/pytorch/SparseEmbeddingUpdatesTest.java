package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.testkit.SyntheticTasks;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code embedding-updates: sparse}: a step updates only the rows it reads, and the parameters end up as dense updates leave them. */
class SparseEmbeddingUpdatesTest {
  private static final ModelGraph GRAPH = SyntheticTasks.graph(EncoderKind.CNN, 0);
  private static final int VOCAB = 20;
  private static final int WIDTH = 16;
  /** Token ids the second step never reads. */
  private static final int FIRST_UNSEEN = 15;

  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());
  @TempDir Path dir;

  /** A batch in which ids 15..19 became 1 (the labels do not depend on them). */
  private static SourceBatch withoutHighIds(SourceBatch batch) {
    int[][] rows = Arrays.stream(batch.tokens().rows())
        .map(row -> Arrays.stream(row).map(id -> id >= FIRST_UNSEEN ? 1 : id).toArray()).toArray(int[][]::new);
    return new SourceBatch(new TokenBatch(rows), batch.targets());
  }

  /**
   * Parameters after each step of {@code steps}: the first step reads every id, later ones read
   * none of 15..19 except every {@code readHighEvery}-th (0: never).
   */
  private List<Map<String, ParameterFile.Tensor>> train(OptimizerSettings settings, int steps, int readHighEvery, String name)
      throws Exception {
    List<Map<String, ParameterFile.Tensor>> out = new ArrayList<>();
    try (Network network = engine.create(new NetworkSpec(GRAPH, VOCAB, 0), settings, 3)) {
      for (int step = 0; step < steps; step++) {
        SourceBatch batch = SyntheticTasks.batch(new Random(5 + step), 32);
        if (step == 0) {
          assertThat(Arrays.stream(batch.tokens().rows()).flatMapToInt(Arrays::stream).distinct().count()).isEqualTo(VOCAB - 1);
        } else if (readHighEvery == 0 || step % readHighEvery != 0) {
          batch = withoutHighIds(batch);
        }
        network.trainStep(new TrainStep(List.of(batch), TestWeightings.equal(), step, 0, 0.01 * (1 + step % 3), GradientNeed.LOSSES_ONLY));
        out.add(saved(network, name + "-" + step));
      }
    }
    return out;
  }

  private Map<String, ParameterFile.Tensor> saved(Network network, String name) throws Exception {
    return TrainingControlsTest.savedParameters(network, dir.resolve(name));
  }

  private static float[] rows(ParameterFile.Tensor table, int from, int to) {
    return Arrays.copyOfRange(table.values(), from * WIDTH, to * WIDTH);
  }

  private static void assertClose(Map<String, ParameterFile.Tensor> actual, Map<String, ParameterFile.Tensor> expected, float tolerance) {
    expected.forEach((name, tensor) -> {
      float[] a = actual.get(name).values();
      float[] e = tensor.values();
      for (int i = 0; i < e.length; i++) {
        assertThat(a[i]).as("%s[%d]", name, i).isCloseTo(e[i], Assertions.within(tolerance));
      }
    });
  }

  @Test
  @DisplayName("Adam: rows a step does not read catch up on the momentum steps they missed, so sparse equals dense")
  void adamCatchesUp() throws Exception {
    OptimizerSettings adam = new OptimizerSettings("adam", 0.01);
    // Steps 1..11 skip ids 15..19 except steps 4 and 8.
    List<Map<String, ParameterFile.Tensor>> sparse = train(adam.withEmbeddingUpdates("sparse"), 12, 4, "sparse");
    List<Map<String, ParameterFile.Tensor>> dense = train(adam.withEmbeddingUpdates("dense"), 12, 4, "dense");
    for (int step = 0; step < sparse.size(); step++) {
      assertClose(sparse.get(step), dense.get(step), 2e-6f);
    }
    // The unread rows did move between reads (by momentum), so the test is not vacuous.
    assertThat(rows(sparse.get(3).get("emb.weight"), FIRST_UNSEEN, VOCAB)).isNotEqualTo(rows(sparse.get(1).get("emb.weight"), FIRST_UNSEEN,
        VOCAB));
  }

  @Test
  @DisplayName("Adam, checked only at the end: many steps owed at once catch up as they would one by one")
  void adamCatchesUpLongGaps() throws Exception {
    OptimizerSettings adam = new OptimizerSettings("adam", 0.01);
    try (Network sparse = engine.create(new NetworkSpec(GRAPH, VOCAB, 0), adam.withEmbeddingUpdates("sparse"), 3);
        Network dense = engine.create(new NetworkSpec(GRAPH, VOCAB, 0), adam.withEmbeddingUpdates("dense"), 3)) {
      for (int step = 0; step < 30; step++) {
        SourceBatch batch = SyntheticTasks.batch(new Random(40 + step), 32);
        batch = step == 0 || step == 17 ? batch : withoutHighIds(batch);
        for (Network network : List.of(sparse, dense)) {
          network.trainStep(new TrainStep(List.of(batch), TestWeightings.equal(), step, 0, 0.005 * (1 + step % 4),
              GradientNeed.LOSSES_ONLY));
        }
      }
      // Not exact: the catch-up divides by √v + ε where dense Adam's step j divides by √(β2^j v) + ε.
      // A row whose √v has decayed towards ε (1e-8) ends up to about 1e-5 off after its 12 owed
      // steps (9.4e-6 here; 6e-8 with ε at 1e-14); a missed or doubled step is off by ~5e-3.
      assertClose(saved(sparse, "sparse"), saved(dense, "dense"), 2e-5f);
    }
  }

  @Test
  @DisplayName("predicting, saving and checkpointing never change the training that follows, and a resume from a step with rows owed goes on exactly")
  void readingLeavesTrainingAlone() throws Exception {
    OptimizerSettings adam = new OptimizerSettings("adam", 0.01).withEmbeddingUpdates("sparse");
    int steps = 12;
    int checkpointAt = 6;
    List<SourceBatch> batches = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      SourceBatch batch = SyntheticTasks.batch(new Random(70 + step), 32);
      batches.add(step == 0 ? batch : withoutHighIds(batch)); // rows 15..19 are owed from step 1 on
    }
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    List<Double> straight = new ArrayList<>();
    Map<String, ParameterFile.Tensor> straightEnd;
    try (Network network = engine.create(new NetworkSpec(GRAPH, VOCAB, 0), adam, 3)) {
      for (int step = 0; step < steps; step++) {
        straight.add(network.trainStep(new TrainStep(List.of(batches.get(step)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).totalLoss());
      }
      straightEnd = saved(network, "straight");
    }
    List<Double> read = new ArrayList<>();
    Path checkpoint = Files.createDirectories(dir.resolve("checkpoint"));
    try (Network network = engine.create(new NetworkSpec(GRAPH, VOCAB, 0), adam, 3)) {
      for (int step = 0; step < steps; step++) {
        read.add(network.trainStep(new TrainStep(List.of(batches.get(step)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).totalLoss());
        network.predict(probe, List.of("has5"));
        saved(network, "read-" + step);
        if (step == checkpointAt - 1) {
          network.saveCheckpoint(checkpoint);
        }
      }
      assertThat(read).containsExactlyElementsOf(straight);
      assertThat(saved(network, "read-end")).allSatisfy((name, tensor) -> assertThat(tensor.values()).as(name)
          .containsExactly(straightEnd.get(name).values()));
    }
    List<Double> resumed = new ArrayList<>(straight.subList(0, checkpointAt));
    try (Network network = engine.resume(new NetworkSpec(GRAPH, VOCAB, 0), adam, 3, checkpoint)) {
      for (int step = checkpointAt; step < steps; step++) {
        resumed.add(network.trainStep(new TrainStep(List.of(batches.get(step)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).totalLoss());
      }
      assertThat(resumed).containsExactlyElementsOf(straight);
      assertThat(saved(network, "resumed-end")).allSatisfy((name, tensor) -> assertThat(tensor.values()).as(name)
          .containsExactly(straightEnd.get(name).values()));
    }
  }

  @Test
  @DisplayName("SGD without weight decay: sparse and dense updates are the same update")
  void sgdIsUnchanged() throws Exception {
    OptimizerSettings sgd = new OptimizerSettings("sgd", 0.5);
    List<Map<String, ParameterFile.Tensor>> sparse = train(sgd.withEmbeddingUpdates("sparse"), 3, 0, "sparse");
    List<Map<String, ParameterFile.Tensor>> dense = train(sgd.withEmbeddingUpdates("dense"), 3, 0, "dense");
    sparse.get(2).forEach((name, tensor) -> assertThat(tensor.values()).as(name).containsExactly(dense.get(2).get(name).values()));
  }

  @Test
  @DisplayName("with weight decay every row has a gradient, so sparse updates fall back to dense ones")
  void weightDecayIsDense() throws Exception {
    OptimizerSettings decayed = new OptimizerSettings("adam", 0.01, 0.01, 0, 0, "none", 0);
    List<Map<String, ParameterFile.Tensor>> sparse = train(decayed.withEmbeddingUpdates("sparse"), 3, 0, "sparse");
    List<Map<String, ParameterFile.Tensor>> dense = train(decayed.withEmbeddingUpdates("dense"), 3, 0, "dense");
    sparse.get(2).forEach((name, tensor) -> assertThat(tensor.values()).as(name).containsExactly(dense.get(2).get(name).values()));
  }

}
