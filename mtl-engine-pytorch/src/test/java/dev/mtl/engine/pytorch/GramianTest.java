package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import dev.mtl.testkit.SyntheticTasks;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Gramians of task gradients the engine computes from one forward pass must equal those from a
 * separate forward and backward pass per task, and weighting through per-task gradients must
 * update the parameters exactly as one backward pass of the weighted sum does.
 */
class GramianTest {
  private static final int VOCAB = 20;
  private static final int PAD = 0;
  private static final long SEED = 7;

  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());

  /** Hard sharing without dropout, so separate passes see exactly the same network function. */
  private static ModelGraph hard() {
    return SyntheticTasks.graph(EncoderKind.CNN, 0);
  }

  /**
   * Shared embedding, then per-task encoders built on a shared base (W + W_t) with a penalty: the
   * representation is a sequence and shared parameters sit above it too.
   */
  static ModelGraph sharedPrivate() {
    List<Layer> layers = new ArrayList<>(List.of(new Layer.Embedding("emb", 8, 0),
        new Layer.Encoder("shared", "emb", EncoderKind.CNN, 5)));
    List<Head> heads = new ArrayList<>();
    for (Head head : hard().heads()) {
      String p = head.task() + ".";
      layers.add(new Layer.Encoder(p + "enc", "emb", EncoderKind.CNN, 5, Optional.of("shared")));
      layers.add(new Layer.Pool(p + "pool", p + "enc", PoolKind.MAX));
      heads.add(new Head(head.task(), p + "pool", head.output(), 0));
    }
    List<String> privates = heads.stream().map(h -> h.task() + ".enc").toList();
    return new ModelGraph(layers, heads, List.of(new Penalty(Penalty.Kind.SQUARED_NORM, 0.01, privates)), Set.of());
  }

  private static StepResult step(ModelGraph graph, GradientNeed need, SourceBatch batch) {
    try (Network network = engine.create(new NetworkSpec(graph, VOCAB, PAD), new OptimizerSettings("sgd", 0.0), SEED)) {
      return network.trainStep(new TrainStep(List.of(batch), fixed(GradientNeed.LOSSES_ONLY, 1, 1, 1), 0, 0, 0.0, need));
    }
  }

  /** Reference: per task, a fresh copy of the network, one forward pass and one backward pass. */
  private static double[][] reference(ModelGraph graph, GradientNeed need, SourceBatch batch) {
    List<String> tasks = graph.heads().stream().map(Head::task).toList();
    List<float[]> gradients = new ArrayList<>();
    for (String task : tasks) {
      try (NDManager manager = ai.djl.engine.Engine.getEngine(PyTorchEngine.ENGINE).newBaseManager()) {
        ParameterSet parameters = ParameterSet.initial(manager, new NetworkSpec(graph, VOCAB, PAD), SEED);
        Lowering lowering = new Lowering(graph, parameters);
        String detachAt = need == GradientNeed.GRAMIAN_ON_REPRESENTATION ? graph.sharedRepresentation().orElseThrow() : null;
        try (NDManager scope = manager.newSubManager();
            GradientCollector collector = ai.djl.engine.Engine.getEngine(PyTorchEngine.ENGINE).newGradientCollector()) {
          Lowering.Pass pass = PyTorchNetwork.forward(lowering, PAD, scope, batch.tokens(), true, detachAt);
          Head head = graph.head(task);
          collector.backward(PyTorchNetwork.loss(scope, head, pass.logits(head), batch.targets().get(task), null));
          if (detachAt != null) {
            gradients.add(pass.representation().leaf().getGradient().toFloatArray());
          } else {
            List<Float> flat = new ArrayList<>();
            for (String name : lowering.trainableNames(graph.sharedParameters())) {
              NDArray g = parameters.arrays().get(name).getGradient();
              for (float x : g.toFloatArray()) {
                flat.add(x);
              }
            }
            float[] vector = new float[flat.size()];
            for (int i = 0; i < vector.length; i++) {
              vector[i] = flat.get(i);
            }
            gradients.add(vector);
          }
        }
      }
    }
    double[][] gramian = new double[tasks.size()][tasks.size()];
    for (int i = 0; i < tasks.size(); i++) {
      for (int j = 0; j < tasks.size(); j++) {
        double sum = 0;
        for (int k = 0; k < gradients.get(i).length; k++) {
          sum += (double) gradients.get(i)[k] * gradients.get(j)[k];
        }
        gramian[i][j] = sum;
      }
    }
    return gramian;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = GradientNeed.class, names = {"GRAMIAN_ON_REPRESENTATION", "GRAMIAN_ON_PARAMETERS"})
  @DisplayName("the Gramian from one forward pass equals separate forward and backward passes per task")
  void gramianMatchesSeparatePasses(GradientNeed need) {
    for (ModelGraph graph : List.of(hard(), sharedPrivate())) {
      SourceBatch batch = SyntheticTasks.batch(new Random(3), 16);
      double[][] engineGramian = step(graph, need, batch).gramian().orElseThrow();
      double[][] expected = reference(graph, need, batch);
      double scale = Math.max(expected[0][0], Math.max(expected[1][1], expected[2][2]));
      assertThat(scale).isPositive();
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          assertThat(engineGramian[i][j]).as("G[%d][%d]", i, j).isCloseTo(expected[i][j], within(1e-5 * scale));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("weights applied through per-task gradients update parameters as one weighted backward pass does")
  void perTaskUpdateEqualsWeightedSum(boolean withSharedPrivate) {
    ModelGraph graph = withSharedPrivate ? sharedPrivate() : hard();
    List<SourceBatch> batches = new ArrayList<>();
    Random random = new Random(5);
    for (int i = 0; i < 4; i++) {
      batches.add(SyntheticTasks.batch(random, 16));
    }
    TokenBatch probe = SyntheticTasks.batch(new Random(9), 8).tokens();
    List<Map<String, float[][]>> predictions = new ArrayList<>();
    for (GradientNeed need : List.of(GradientNeed.LOSSES_ONLY, GradientNeed.GRAMIAN_ON_PARAMETERS,
        GradientNeed.GRAMIAN_ON_REPRESENTATION)) {
      try (Network network = engine.create(new NetworkSpec(graph, VOCAB, PAD), new OptimizerSettings("sgd", 0.5), SEED)) {
        for (int step = 0; step < batches.size(); step++) {
          StepResult result = network.trainStep(new TrainStep(List.of(batches.get(step)), fixed(need, 0.5, 2, 1), step, 0, 0.5,
              GradientNeed.LOSSES_ONLY));
          assertThat(result.gramian().isPresent()).isEqualTo(need != GradientNeed.LOSSES_ONLY);
        }
        predictions.add(network.predict(probe, List.of("has5", "has67", "share8")));
      }
    }
    for (int k = 1; k < predictions.size(); k++) {
      for (String task : predictions.get(0).keySet()) {
        float[][] expected = predictions.get(0).get(task);
        float[][] actual = predictions.get(k).get(task);
        for (int row = 0; row < expected.length; row++) {
          for (int col = 0; col < expected[row].length; col++) {
            assertThat(actual[row][col]).as("%s %s[%d][%d]", k, task, row, col)
                .isCloseTo(expected[row][col], within(2e-5f));
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(GradientNeed.class)
  @DisplayName("two runs from the same seed give bit-identical losses, with or without per-task gradients, while the GC runs")
  void deterministic(GradientNeed need) {
    ModelGraph graph = SyntheticTasks.graph(EncoderKind.CNN, 0.2);
    assertThat(whileCollectingGarbage(() -> losses(graph, need))).containsExactlyElementsOf(losses(graph, need));
  }

  /**
   * Autograd keeps the scalars of a step's graph (loss weights, the BCE and Huber constants,
   * penalty strengths, pooling masks) until backward. Were one of them a DJL temporary, a
   * collection would free its buffer first and corrupt the gradients (seen: losses diverging after
   * a few steps, NaN gradients), so steps run here while another thread keeps collecting.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"penalty", "bilstm", "mean", "dselect", "attention", "sequence-gate", "branch", "meta-batch"})
  @DisplayName("the losses of other graphs do not change while the garbage collector runs")
  void unaffectedByGarbageCollection(String kind) {
    ModelGraph graph = switch (kind) {
      case "penalty" -> sharedPrivate();
      case "bilstm" -> SyntheticTasks.graph(EncoderKind.BILSTM, 0.2);
      case "dselect" -> gated(true, Optional.of(new Layer.DSelect(2, 1.0)));
      case "sequence-gate" -> gated(false, Optional.empty());
      case "attention" -> attention();
      case "branch" -> branched();
      case "meta-batch" -> SyntheticTasks.graph(EncoderKind.CNN, 0.2);
      default -> SyntheticTasks.graph(EncoderKind.MEAN, 0.2);
    };
    GradientNeed need = kind.equals("meta-batch") ? GradientNeed.GRAMIAN_WITH_META_BATCH : GradientNeed.LOSSES_ONLY;
    assertThat(whileCollectingGarbage(() -> losses(graph, need))).containsExactlyElementsOf(losses(graph, need));
  }

  /** Two CNN experts under one gate (over their pooled vectors, or over their sequences, pooled after) that every head reads. */
  private static ModelGraph gated(boolean pooledExperts, Optional<Layer.DSelect> sparse) {
    List<Layer> layers = new ArrayList<>(List.of(new Layer.Embedding("emb", 16, 0.2), new Layer.Pool("gate-input", "emb", PoolKind.MEAN),
        new Layer.Encoder("e1", "emb", EncoderKind.CNN, 6), new Layer.Encoder("e2", "emb", EncoderKind.CNN, 6)));
    if (pooledExperts) {
      layers.add(new Layer.Pool("p1", "e1", PoolKind.MAX));
      layers.add(new Layer.Pool("p2", "e2", PoolKind.MAX));
      layers.add(new Layer.Gate("gate", List.of("p1", "p2"), "gate-input", sparse));
      return withHeads(layers, "gate");
    }
    layers.add(new Layer.Gate("gate", List.of("e1", "e2"), "gate-input", sparse));
    layers.add(new Layer.Pool("pool", "gate", PoolKind.MAX));
    return withHeads(layers, "pool");
  }

  /** Learning to Branch: every head reads one of two CNN columns, chosen by a Gumbel-softmax sample each step. */
  private static ModelGraph branched() {
    return withHeads(List.of(new Layer.Embedding("emb", 16, 0.2), new Layer.Encoder("e1", "emb", EncoderKind.CNN, 6),
        new Layer.Encoder("e2", "emb", EncoderKind.CNN, 6),
        new Layer.Mix("parent", List.of("e1", "e2"), 0, "branch", 0.5, Optional.of(new Layer.Branching(1, 10))),
        new Layer.Pool("pool", "parent", PoolKind.MAX)), "pool");
  }

  /** MTAN-style: two task-attention masks, the second reading the first, over one CNN encoder. */
  private static ModelGraph attention() {
    return withHeads(List.of(new Layer.Embedding("emb", 16, 0.2), new Layer.Encoder("enc", "emb", EncoderKind.CNN, 6),
        new Layer.TaskAttention("att1", "enc", Optional.empty()), new Layer.TaskAttention("att2", "enc", Optional.of("att1")),
        new Layer.Pool("pool", "att2", PoolKind.MAX)), "pool");
  }

  /** The synthetic tasks' heads on {@code input}. */
  private static ModelGraph withHeads(List<Layer> layers, String input) {
    return new ModelGraph(layers, SyntheticTasks.graph(EncoderKind.CNN, 0.2).heads().stream()
        .map(h -> new Head(h.task(), input, h.output(), h.dropout())).toList());
  }

  /** Every task's loss at each of 30 Adam steps from the same seed and batches. */
  private static List<Double> losses(ModelGraph graph, GradientNeed need) {
    List<Double> losses = new ArrayList<>();
    Random random = new Random(4);
    try (Network network = engine.create(new NetworkSpec(graph, VOCAB, PAD), new OptimizerSettings("adam", 0.01), SEED)) {
      for (int step = 0; step < 30; step++) {
        SourceBatch batch = SyntheticTasks.batch(random, 16);
        // A meta batch (the bilevel weightings' second pass) moves the parameters along its losses too.
        List<SourceBatch> meta = need == GradientNeed.GRAMIAN_WITH_META_BATCH ? List.of(SyntheticTasks.batch(random, 16)) : List.of();
        StepResult result = network.trainStep(new TrainStep(List.of(batch), withMetaWeights(fixed(need, 1, 1, 1)), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY, meta));
        losses.addAll(result.losses().values());
      }
    }
    return losses;
  }

  /** Runs {@code body} while another thread asks for a full collection every millisecond. */
  private static <T> T whileCollectingGarbage(Supplier<T> body) {
    Thread collector = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        System.gc();
        LockSupport.parkNanos(1_000_000);
      }
    }, "collector");
    collector.setDaemon(true);
    collector.start();
    try {
      return body.get();
    } finally {
      collector.interrupt();
    }
  }

  @Test
  @DisplayName("per-task gradients over several sources are deterministic too")
  void deterministicAcrossSources() {
    List<List<Double>> runs = new ArrayList<>();
    for (int run = 0; run < 3; run++) {
      List<Double> losses = new ArrayList<>();
      Random random = new Random(4);
      try (Network network = engine.create(new NetworkSpec(SyntheticTasks.graph(EncoderKind.CNN, 0.2), VOCAB, PAD),
          new OptimizerSettings("adam", 0.01), SEED)) {
        for (int step = 0; step < 30; step++) {
          SourceBatch a = SyntheticTasks.batch(random, 16);
          SourceBatch b = SyntheticTasks.batch(random, 8);
          List<SourceBatch> sources = List.of(new SourceBatch(a.tokens(), Map.of("has5", a.targets().get("has5"))),
              new SourceBatch(b.tokens(), Map.of("has67", b.targets().get("has67"), "share8", b.targets().get("share8"))));
          StepResult result = network.trainStep(new TrainStep(sources, fixed(GradientNeed.LOSSES_ONLY, 1, 1, 1), step, 0, 0.01,
              step % 10 == 0 ? GradientNeed.GRAMIAN_ON_PARAMETERS : GradientNeed.LOSSES_ONLY));
          losses.addAll(result.losses().values());
        }
      }
      runs.add(losses);
    }
    assertThat(runs.get(1)).containsExactlyElementsOf(runs.get(0));
    assertThat(runs.get(2)).containsExactlyElementsOf(runs.get(0));
  }

  @Test
  @DisplayName("a Gramian the model cannot give is refused, naming the choice that works")
  void impossibleGramianRefused() {
    ModelGraph separate = new ModelGraph(List.of(new Layer.Embedding("a.emb", 8, 0), new Layer.Pool("a.pool", "a.emb", PoolKind.MEAN),
        new Layer.Embedding("b.emb", 8, 0), new Layer.Pool("b.pool", "b.emb", PoolKind.MEAN)),
        List.of(new Head("has5", "a.pool", hard().head("has5").output(), 0), new Head("has67", "b.pool", hard().head("has67").output(),
            0)));
    SourceBatch batch = SyntheticTasks.batch(new Random(1), 4);
    SourceBatch twoTasks = new SourceBatch(batch.tokens(), Map.of("has5", batch.targets().get("has5"), "has67",
        batch.targets().get("has67")));
    try (Network network = engine.create(new NetworkSpec(separate, VOCAB, PAD), new OptimizerSettings("sgd", 0.1), 1)) {
      assertThatThrownBy(() -> network.trainStep(new TrainStep(List.of(twoTasks), fixed(GradientNeed.GRAMIAN_ON_REPRESENTATION, 1, 1), 0,
          0, 0.1, GradientNeed.LOSSES_ONLY)))
          .hasMessageContaining("no representation that every task's loss passes through")
          .hasMessageContaining("use a weighting that needs losses only");
      assertThatThrownBy(() -> network.trainStep(new TrainStep(List.of(twoTasks), fixed(GradientNeed.LOSSES_ONLY, 1, 1), 0, 0, 0.1,
          GradientNeed.GRAMIAN_ON_PARAMETERS)))
          .hasMessageContaining("no trainable parameter is shared by two or more tasks");
    }
    SourceBatch first = new SourceBatch(batch.tokens(), Map.of("has5", batch.targets().get("has5")));
    SourceBatch second = new SourceBatch(batch.tokens(), Map.of("has67", batch.targets().get("has67"), "share8",
        batch.targets().get("share8")));
    try (Network network = engine.create(new NetworkSpec(hard(), VOCAB, PAD), new OptimizerSettings("sgd", 0.1), 1)) {
      assertThatThrownBy(() -> network.trainStep(new TrainStep(List.of(first, second), fixed(GradientNeed.GRAMIAN_ON_REPRESENTATION, 1, 1,
          1), 0, 0, 0.1, GradientNeed.LOSSES_ONLY)))
          .hasMessageContaining("the tasks read different texts [[has5], [has67, share8]]")
          .hasMessageContaining("set 'gramian: parameters'");
      StepResult result = network.trainStep(new TrainStep(List.of(first, second), fixed(GradientNeed.GRAMIAN_ON_PARAMETERS, 1, 1, 1), 0, 0,
          0.1, GradientNeed.LOSSES_ONLY));
      assertThat(result.cosines()).containsOnlyKeys("has5~has67", "has5~share8", "has67~share8");
    }
  }

  /** Fixed weights that ask for a given Gramian, to drive each path of the engine. */
  private static LossWeighting fixed(GradientNeed need, double... weights) {
    return TestWeightings.needing(need, input -> weights.clone());
  }

  /** {@code weighting} as it is, giving the meta batch's losses weight 0.5 when it needs a meta batch. */
  private static LossWeighting withMetaWeights(LossWeighting weighting) {
    return new LossWeighting() {
      @Override
      public GradientNeed need() {
        return weighting.need();
      }

      @Override
      public double[] weights(WeightingInput input) {
        return weighting.weights(input);
      }

      @Override
      public Optional<double[]> metaWeights(WeightingInput input, double[] weights) {
        return need() == GradientNeed.GRAMIAN_WITH_META_BATCH ? Optional.of(java.util.stream.DoubleStream.generate(() -> 0.5).limit(input.tasks().size()).toArray()) : Optional.empty();
      }
    };
  }
}
