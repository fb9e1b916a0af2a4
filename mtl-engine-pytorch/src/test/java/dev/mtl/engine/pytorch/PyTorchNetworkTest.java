package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.engine.Lookahead;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.testkit.SyntheticTasks;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * What the PyTorch engine does beyond the engine contract (PyTorchEngineContractTest): lookahead
 * measurements that leave the network as it was, exact BiLSTM save and load, and the message
 * for a parameter file that does not match the graph.
 */
class PyTorchNetworkTest {
  private static final int VOCAB = 20;
  private static final int PAD = 0;
  private static final LossWeighting EQUAL = TestWeightings.equal();

  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());

  private static List<StepResult> train(Network network, long seed, int steps) {
    Random random = new Random(seed);
    List<StepResult> results = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      results.add(network.trainStep(new TrainStep(List.of(SyntheticTasks.batch(random, 32)), EQUAL, step, 0, 0.01,
          GradientNeed.LOSSES_ONLY)));
    }
    return results;
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "embedding updates {0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"sparse", "dense"})
  @DisplayName("a lookahead measurement leaves the network exactly as it was: the same predictions and the same next steps")
  void lookaheadRestores(String updates) {
    OptimizerSettings adam = new OptimizerSettings("adam", 0.01).withEmbeddingUpdates(updates);
    try (Network measured = engine.create(new NetworkSpec(SyntheticTasks.graph(EncoderKind.CNN, 0), VOCAB, PAD), adam, 3);
        Network plain = engine.create(new NetworkSpec(SyntheticTasks.graph(EncoderKind.CNN, 0), VOCAB, PAD), adam, 3)) {
      Random random = new Random(5);
      for (int step = 0; step < 6; step++) {
        List<SourceBatch> batches = List.of(SyntheticTasks.batch(random, 16));
        Lookahead look = measured.lookahead(batches, 0.5);
        assertThat(look.tasks()).containsExactly("has5", "has67", "share8");
        // A step on a task's own gradient lowers its loss.
        for (int t = 0; t < 3; t++) {
          assertThat(look.affinity()[t][t]).as("step %d task %d", step, t).isPositive();
        }
        StepResult a = measured.trainStep(new TrainStep(batches, EQUAL, step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        StepResult b = plain.trainStep(new TrainStep(batches, EQUAL, step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        assertThat(a.losses()).isEqualTo(b.losses());
        assertThat(look.before()).containsExactly(a.losses().values().stream().mapToDouble(Double::doubleValue).toArray(),
            Offset.offset(1e-6));
      }
      TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
      assertThat(measured.predict(probe, List.of("has5")).get("has5")).isDeepEqualTo(plain.predict(probe, List.of("has5")).get("has5"));
    }
  }

  @Test
  @DisplayName("saved and loaded parameters predict exactly the same")
  void saveLoad(@TempDir Path dir) throws Exception {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.BILSTM, 0.2);
    TokenBatch texts = SyntheticTasks.batch(new Random(9), 16).tokens();
    List<String> tasks = List.of("has5", "has67", "share8");
    Map<String, float[][]> before;
    try (Network network = engine.create(new NetworkSpec(graph, VOCAB, PAD), new OptimizerSettings("adam", 0.01), 1)) {
      train(network, 5, 10);
      before = network.predict(texts, tasks);
      network.save(dir);
    }
    try (Network loaded = engine.load(new NetworkSpec(graph, VOCAB, PAD), dir)) {
      Map<String, float[][]> after = loaded.predict(texts, tasks);
      for (String task : tasks) {
        assertThat(after.get(task)).isDeepEqualTo(before.get(task));
      }
      assertThatThrownBy(() -> loaded.trainStep(new TrainStep(List.of(), EQUAL, 0, 0, 0.01,
          GradientNeed.LOSSES_ONLY))).hasMessageContaining("loaded for prediction");
    }
    assertThatThrownBy(() -> engine.load(new NetworkSpec(SyntheticTasks.graph(EncoderKind.CNN, 0.2), VOCAB, PAD), dir))
        .hasMessageContaining("lacks parameter enc.conv3.weight").hasMessageContaining("retrain or restore it");
  }

  @Test
  @DisplayName("a prediction after a training step reads the new parameters, as a network loaded from them does")
  void predictionsFollowTraining(@TempDir Path saved) throws Exception {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.CNN, 0.1);
    TokenBatch texts = SyntheticTasks.batch(new Random(9), 12).tokens();
    try (Network network = engine.create(new NetworkSpec(graph, SyntheticTasks.VOCAB, SyntheticTasks.PAD),
        new OptimizerSettings("adam", 0.05), 4)) {
      Map<String, float[][]> before = network.predict(texts, SyntheticTasks.TASKS);
      network.trainStep(new TrainStep(List.of(SyntheticTasks.batch(new Random(3), 32)), EQUAL, 0, 0, 0.05, GradientNeed.LOSSES_ONLY));
      Map<String, float[][]> after = network.predict(texts, SyntheticTasks.TASKS);
      network.save(saved);
      try (Network loaded = engine.load(new NetworkSpec(graph, SyntheticTasks.VOCAB, SyntheticTasks.PAD), saved)) {
        Map<String, float[][]> reloaded = loaded.predict(texts, SyntheticTasks.TASKS);
        for (String task : SyntheticTasks.TASKS) {
          assertThat(after.get(task)[0][0]).as(task).isNotEqualTo(before.get(task)[0][0]);
          for (int i = 0; i < texts.size(); i++) {
            for (int j = 0; j < after.get(task)[i].length; j++) {
              assertThat(after.get(task)[i][j]).as("%s row %d", task, i).isCloseTo(reloaded.get(task)[i][j], Offset.offset(1e-6f));
            }
          }
        }
        // Softmax scores sum to one, sigmoid scores lie in (0, 1): the activations are applied.
        for (float[] row : reloaded.get("has5")) {
          assertThat(row[0] + row[1]).isCloseTo(1f, Offset.offset(1e-6f));
        }
        for (float[] row : reloaded.get("has67")) {
          for (float p : row) {
            assertThat(p).isBetween(0f, 1f);
          }
        }
      }
    }
  }
}
