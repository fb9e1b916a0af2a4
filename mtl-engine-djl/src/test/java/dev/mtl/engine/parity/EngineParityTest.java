package dev.mtl.engine.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.engine.pytorch.PyTorchEngineProvider;
import dev.mtl.engine.tensorflow.TfEngineProvider;
import dev.mtl.testkit.SyntheticTasks;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The TensorFlow engine lowers the same graph descriptions as the PyTorch engine: with the same seed
 * both start from the same parameters, so without dropout every step's losses, weights' inputs
 * (Gramians) and the predictions after training agree to float rounding. Its saved SavedModel is
 * served by DJL's TensorFlow engine with the predictions the training graph makes.
 */
class EngineParityTest {
  private static final OptimizerSettings ADAM = new OptimizerSettings("adam", 0.01);
  @RegisterExtension
  static final TestEngine tensorflow = new TestEngine(new TfEngineProvider());

  @RegisterExtension
  static final TestEngine pytorch = new TestEngine(new PyTorchEngineProvider());

  private static Head head(String task, String input, int size, LossKind loss) {
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      labels.add("l" + i);
    }
    return new Head(task, input, new OutputSpec(size, loss, labels), 0);
  }

  /** The synthetic tasks of PyTorchNetworkTest on every kind of layer the TensorFlow engine lowers. */
  static Stream<Arguments> graphs() {
    Head has5 = head("has5", "pool", 2, LossKind.SOFTMAX_CROSS_ENTROPY);
    Head has67 = head("has67", "pool", 2, LossKind.SIGMOID_BINARY_CROSS_ENTROPY);
    Head share8 = head("share8", "pool", 1, LossKind.HUBER);
    ModelGraph hardCnn = SyntheticTasks.graph(EncoderKind.CNN, 0);
    ModelGraph hardMean = SyntheticTasks.graph(EncoderKind.MEAN, 0);
    // Soft sharing: one column per task, pulled together by a penalty; shared + private parameters (base).
    ModelGraph soft = new ModelGraph(List.of(
        new Layer.Embedding("a.emb", 8, 0), new Layer.Encoder("a.enc", "a.emb", EncoderKind.CNN, 6), new Layer.Pool("a.pool", "a.enc",
            PoolKind.MAX),
        new Layer.Embedding("b.emb", 8, 0), new Layer.Encoder("b.enc", "b.emb", EncoderKind.CNN, 6), new Layer.Pool("b.pool", "b.enc",
            PoolKind.MAX),
        new Layer.Embedding("c.emb", 8, 0, Optional.of("a.emb")), new Layer.Pool("c.pool", "c.emb", PoolKind.MEAN)),
        List.of(head("has5", "a.pool", 2, LossKind.SOFTMAX_CROSS_ENTROPY), head("has67", "b.pool", 2,
            LossKind.SIGMOID_BINARY_CROSS_ENTROPY),
            head("share8", "c.pool", 1, LossKind.MEAN_SQUARED_ERROR)),
        List.of(new Penalty(Penalty.Kind.PAIRWISE_DISTANCE, 0.01, List.of("a.enc", "b.enc")),
            new Penalty(Penalty.Kind.SQUARED_NORM, 0.01, List.of("c.emb"))), Set.of());
    // Cross-stitch units, an MMoE gate and a label feed (hierarchical) over one embedding.
    ModelGraph mixed = new ModelGraph(List.of(
        new Layer.Embedding("emb", 8, 0),
        new Layer.Encoder("x", "emb", EncoderKind.CNN, 4), new Layer.Encoder("y", "emb", EncoderKind.CNN, 4),
        new Layer.Mix("mx", List.of("x", "y"), 0, "unit", 0.9), new Layer.Mix("my", List.of("x", "y"), 1, "unit", 0.9),
        new Layer.Pool("low", "mx", PoolKind.MAX), new Layer.Pool("py", "my", PoolKind.MEAN),
        new Layer.Gate("pool", List.of("low", "py"), "low"),
        new Layer.LabelFeed("fed", "my", "has5"), new Layer.Pool("top", "fed", PoolKind.MAX)),
        List.of(head("has5", "low", 2, LossKind.SOFTMAX_CROSS_ENTROPY), has67, head("share8", "top", 1, LossKind.HUBER)));
    return Stream.of(Arguments.of("hard, cnn", hardCnn), Arguments.of("hard, mean", hardMean),
        Arguments.of("soft (penalty, shared+private)", soft),
        Arguments.of("cross-stitch, mmoe gate, label feed", mixed));
  }

  /** Adversarial shared-private: shared and private encoders, a discriminator through gradient reversal, orthogonality. */
  static ModelGraph asp() {
    List<Layer> layers = new ArrayList<>(List.of(new Layer.Embedding("emb", 8, 0),
        new Layer.Encoder("shared", "emb", EncoderKind.CNN, 4), new Layer.Pool("shared.pool", "shared", PoolKind.MAX)));
    List<Head> heads = new ArrayList<>();
    List<AuxiliaryLoss.Pair> pairs = new ArrayList<>();
    int[] sizes = {2, 2, 1};
    LossKind[] losses = {LossKind.SOFTMAX_CROSS_ENTROPY, LossKind.SIGMOID_BINARY_CROSS_ENTROPY, LossKind.HUBER};
    for (int t = 0; t < 3; t++) {
      String task = SyntheticTasks.TASKS.get(t);
      layers.add(new Layer.Encoder(task + ".enc", "emb", EncoderKind.CNN, 4));
      layers.add(new Layer.Pool(task + ".pool", task + ".enc", PoolKind.MAX));
      layers.add(new Layer.Concat(task + ".features", List.of("shared.pool", task + ".pool")));
      heads.add(head(task, task + ".features", sizes[t], losses[t]));
      pairs.add(new AuxiliaryLoss.Pair(task, "shared.pool", task + ".pool"));
    }
    layers.add(new Layer.GradientReversal("reversal", "shared.pool", 1));
    return new ModelGraph(layers, heads, List.of(), Set.of(), List.of(new AuxiliaryLoss.TaskDiscriminator("discriminator", "reversal", 0.5),
        new AuxiliaryLoss.Orthogonality(0.1, pairs)));
  }

  /** A batch split into one data source per task (each labelled for its task only), as separate datasets arrive. */
  private static List<SourceBatch> sourcePerTask(long seed) {
    SourceBatch all = SyntheticTasks.batch(new Random(seed), 18);
    List<SourceBatch> out = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      String task = SyntheticTasks.TASKS.get(t);
      out.add(new SourceBatch(new TokenBatch(Arrays.copyOfRange(all.tokens().rows(), 6 * t, 6 * t + 6)),
          Map.of(task, Arrays.copyOfRange(all.targets().get(task), 6 * t, 6 * t + 6))));
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("aspSteps")
  @DisplayName("adversarial shared-private: losses, auxiliary losses and predictions match PyTorch's, through the Gramian path too")
  void aspMatchesPyTorch(GradientNeed need) {
    ModelGraph graph = asp();
    // The Gramian path gives the weights 1 too, so all three runs compute the same steps.
    LossWeighting weighting = need == GradientNeed.LOSSES_ONLY ? TestWeightings.equal()
        : TestWeightings.needing(need, input -> {
          double[] ones = new double[input.tasks().size()];
          Arrays.fill(ones, 1);
          return ones;
        });
    List<StepResult> reference = new ArrayList<>();
    Map<String, float[][]> referenceScores;
    TokenBatch probe = batches(99).get(0).tokens();
    try (Network pt = pytorch.create(new NetworkSpec(graph, 20, 0), ADAM, 7)) {
      for (int step = 0; step < 10; step++) {
        reference.add(pt.trainStep(new TrainStep(aspData(need, step), TestWeightings.equal(), step, 0, 0.01, GradientNeed.LOSSES_ONLY)));
      }
      referenceScores = pt.predict(probe, SyntheticTasks.TASKS);
    }
    for (Engine engine : List.of(pytorch, tensorflow)) {
      try (Network n = engine.create(new NetworkSpec(graph, 20, 0), ADAM, 7)) {
        for (int step = 0; step < 10; step++) {
          StepResult a = n.trainStep(new TrainStep(aspData(need, step), weighting, step, 0, 0.01, GradientNeed.LOSSES_ONLY));
          StepResult b = reference.get(step);
          for (String task : b.losses().keySet()) {
            assertThat(a.losses().get(task)).as("%s step %d task %s", engine.name(), step, task).isCloseTo(b.losses().get(task),
                within(2e-4));
          }
          assertThat(a.penalty()).as("%s step %d auxiliary losses", engine.name(), step).isCloseTo(b.penalty(), within(2e-4));
          assertThat(b.penalty()).isPositive();
        }
        Map<String, float[][]> scores = n.predict(probe, SyntheticTasks.TASKS);
        for (String task : SyntheticTasks.TASKS) {
          for (int i = 0; i < scores.get(task).length; i++) {
            assertThat(scores.get(task)[i]).containsExactly(referenceScores.get(task)[i], within(1e-3f));
          }
        }
      }
    }
  }

  static Stream<GradientNeed> aspSteps() {
    return Stream.of(GradientNeed.LOSSES_ONLY, GradientNeed.GRAMIAN_ON_PARAMETERS, GradientNeed.GRAMIAN_ON_REPRESENTATION);
  }

  /** A source per task (the discriminator's case); one source for all tasks where the Gramian is taken on its representation. */
  private static List<SourceBatch> aspData(GradientNeed need, int step) {
    return need == GradientNeed.GRAMIAN_ON_REPRESENTATION ? batches(step) : sourcePerTask(step);
  }

  private static List<SourceBatch> batches(long seed) {
    return List.of(SyntheticTasks.batch(new Random(seed), 16));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("graphs")
  @DisplayName("same graph, seed and batches: TensorFlow's losses match PyTorch's step by step")
  void matchesPyTorch(String name, ModelGraph graph) {
    try (Network tf = tensorflow.create(new NetworkSpec(graph, 20, 0), ADAM, 7); Network pt = pytorch.create(new NetworkSpec(graph, 20, 0),
        ADAM, 7)) {
      for (int step = 0; step < 12; step++) {
        StepResult a = tf.trainStep(new TrainStep(batches(step), TestWeightings.equal(), step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        StepResult b = pt.trainStep(new TrainStep(batches(step), TestWeightings.equal(), step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        for (String task : b.losses().keySet()) {
          assertThat(a.losses().get(task)).as("step %d task %s", step, task).isCloseTo(b.losses().get(task), within(2e-4));
        }
        assertThat(a.penalty()).isCloseTo(b.penalty(), within(1e-5));
      }
      TokenBatch probe = batches(99).get(0).tokens();
      Map<String, float[][]> x = tf.predict(probe, List.of("has5", "has67", "share8"));
      Map<String, float[][]> y = pt.predict(probe, List.of("has5", "has67", "share8"));
      for (String task : y.keySet()) {
        for (int i = 0; i < y.get(task).length; i++) {
          assertThat(x.get(task)[i]).containsExactly(y.get(task)[i], within(1e-3f));
        }
      }
      assertThat(tf.parameterCount()).isEqualTo(pt.parameterCount());
    }
  }

  @Test
  @DisplayName("AdamW's decoupled weight decay (matrices only): TensorFlow's losses and predictions match PyTorch's")
  void adamwMatchesPyTorch() {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.CNN, 0);
    OptimizerSettings adamw = new OptimizerSettings("adamw", 0.01, 0.3, 0, 0, "none", 0);
    try (Network tf = tensorflow.create(new NetworkSpec(graph, 20, 0), adamw, 7);
        Network pt = pytorch.create(new NetworkSpec(graph, 20, 0), adamw, 7)) {
      for (int step = 0; step < 12; step++) {
        StepResult a = tf.trainStep(new TrainStep(batches(step), TestWeightings.equal(), step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        StepResult b = pt.trainStep(new TrainStep(batches(step), TestWeightings.equal(), step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        for (String task : b.losses().keySet()) {
          assertThat(a.losses().get(task)).as("step %d task %s", step, task).isCloseTo(b.losses().get(task), within(2e-4));
        }
      }
      TokenBatch probe = batches(99).get(0).tokens();
      Map<String, float[][]> x = tf.predict(probe, List.of("has5"));
      Map<String, float[][]> y = pt.predict(probe, List.of("has5"));
      for (int i = 0; i < y.get("has5").length; i++) {
        assertThat(x.get("has5")[i]).containsExactly(y.get("has5")[i], within(1e-3f));
      }
    }
  }

  /** Rows {@code from} to {@code to} of a batch, with the given row weights (null: none). */
  private static SourceBatch rows(SourceBatch batch, int from, int to, float[] weights) {
    Map<String, float[][]> targets = new LinkedHashMap<>();
    batch.targets().forEach((task, t) -> targets.put(task, Arrays.copyOfRange(t, from, to)));
    Map<String, float[]> rowWeights = new LinkedHashMap<>();
    if (weights != null) {
      batch.targets().keySet().forEach(task -> rowWeights.put(task, weights));
    }
    return new SourceBatch(new TokenBatch(Arrays.copyOfRange(batch.tokens().rows(), from, to)), targets, rowWeights);
  }

  @Test
  @DisplayName("row weights scale each row's loss (sum of weighted row losses over the labelled rows), the same on both engines")
  void rowWeights() {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.MEAN, 0);
    SourceBatch batch = batches(5).get(0);
    float[] weights = new float[16];
    Arrays.fill(weights, 0, 8, 1f);
    Arrays.fill(weights, 8, 16, 0.25f);
    for (Engine engine : List.of(pytorch, tensorflow)) {
      // The step's losses come from the forward pass before the update, so each fresh network gives its start's loss.
      Map<String, Double> weighted;
      Map<String, Double> first;
      Map<String, Double> second;
      try (Network n = engine.create(new NetworkSpec(graph, 20, 0), ADAM, 7)) {
        weighted = n.trainStep(new TrainStep(List.of(rows(batch, 0, 16, weights)), TestWeightings.equal(), 0, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).losses();
      }
      try (Network n = engine.create(new NetworkSpec(graph, 20, 0), ADAM, 7)) {
        first = n.trainStep(new TrainStep(List.of(rows(batch, 0, 8, null)), TestWeightings.equal(), 0, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).losses();
      }
      try (Network n = engine.create(new NetworkSpec(graph, 20, 0), ADAM, 7)) {
        second = n.trainStep(new TrainStep(List.of(rows(batch, 8, 16, null)), TestWeightings.equal(), 0, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).losses();
      }
      for (String task : weighted.keySet()) {
        double expected = (8 * first.get(task) + 0.25 * 8 * second.get(task)) / 16;
        assertThat(weighted.get(task)).as("%s, task %s", engine.name(), task).isCloseTo(expected, within(1e-5));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gramians")
  @DisplayName("the Gramian of task gradients matches PyTorch's, and the weights it gives are applied")
  void gramianMatchesPyTorch(GradientNeed need) {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.CNN, 0);
    List<double[][]> seen = new ArrayList<>();
    LossWeighting inverseNorms = TestWeightings.needing(need, input -> {
      double[][] g = input.gramian().orElseThrow();
      seen.add(g);
      double[] w = new double[g.length];
      for (int i = 0; i < w.length; i++) {
        w[i] = 1 / Math.sqrt(g[i][i] + 1e-12);
      }
      return w;
    });
    try (Network tf = tensorflow.create(new NetworkSpec(graph, 20, 0), ADAM, 3); Network pt = pytorch.create(new NetworkSpec(graph, 20, 0),
        ADAM, 3)) {
      for (int step = 0; step < 5; step++) {
        tf.trainStep(new TrainStep(batches(step), inverseNorms, step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        pt.trainStep(new TrainStep(batches(step), inverseNorms, step, 0, 0.01, GradientNeed.LOSSES_ONLY));
        double[][] a = seen.get(2 * step);
        double[][] b = seen.get(2 * step + 1);
        for (int i = 0; i < a.length; i++) {
          for (int j = 0; j < a.length; j++) {
            assertThat(a[i][j]).as("step %d G[%d][%d]", step, i, j).isCloseTo(b[i][j], within(1e-3 * Math.max(1, Math.abs(b[i][j]))));
          }
        }
        assertThat(a[0][1]).isNotZero();
      }
    }
  }

  static Stream<GradientNeed> gramians() {
    return Stream.of(GradientNeed.GRAMIAN_ON_REPRESENTATION, GradientNeed.GRAMIAN_ON_PARAMETERS);
  }

  @Test
  @DisplayName("the saved SavedModel, served by DJL's TensorFlow engine, predicts what training computed")
  void savedModelReproducesPredictions(@TempDir Path dir) throws Exception {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.CNN, 0.3);
    TokenBatch probe = new TokenBatch(new int[][] {{5, 3, 9}, {}, {6, 7, 8, 8, 2, 11, 4}});
    Map<String, float[][]> trained;
    try (Network tf = tensorflow.create(new NetworkSpec(graph, 20, 0), ADAM, 5)) {
      for (int step = 0; step < 20; step++) {
        tf.trainStep(new TrainStep(batches(step), TestWeightings.equal(), step, 0, 0.01, GradientNeed.LOSSES_ONLY));
      }
      trained = tf.predict(probe, List.of("has5", "has67", "share8"));
      tf.save(dir);
    }
    assertThat(dir.resolve("saved_model/saved_model.pb")).isRegularFile();
    assertThat(dir.resolve(ParameterLayout.FILE)).isRegularFile();
    try (Network served = tensorflow.load(new NetworkSpec(graph, 20, 0), dir)) {
      assertThat(served.getClass().getSimpleName()).isEqualTo("SavedModelNetwork");
      Map<String, float[][]> again = served.predict(probe, List.of("has5", "has67", "share8"));
      for (String task : trained.keySet()) {
        for (int i = 0; i < probe.size(); i++) {
          assertThat(again.get(task)[i]).containsExactly(trained.get(task)[i], within(1e-6f));
        }
      }
    }
    // The parameter file is engine-neutral: PyTorch loads it and predicts the same.
    try (Network pt = pytorch.load(new NetworkSpec(graph, 20, 0), dir)) {
      Map<String, float[][]> again = pt.predict(probe, List.of("has5"));
      assertThat(again.get("has5")[0]).containsExactly(trained.get("has5")[0], within(1e-4f));
    }
  }



}
