package dev.mtl.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.engine.pytorch.PyTorchEngineProvider;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The mechanics that make each strategy what it claims to be, run on the DJL engine. */
class SharingMechanicsTest {
  private static final List<SharingStrategy.HeadRequest> HEADS = List.of(
      new SharingStrategy.HeadRequest("a", new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("no", "yes"))),
      new SharingStrategy.HeadRequest("b", new OutputSpec(3, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("x", "y", "z"))));
  private static final ModelSpec MODEL = new ModelSpec(12, EncoderKind.CNN, 6, 0.1, PoolKind.MAX);
  private static final LossWeighting EQUAL = TestWeightings.equal();

  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());

  static ModelGraph describe(SharingStrategyProvider provider, Map<String, Object> settings) {
    ConfigSection section = ConfigSection.of("test", Path.of("."), settings);
    SharingStrategy strategy = provider.create(section, List.of("a", "b"));
    assertThat(section.source().problems()).isEmpty();
    return strategy.describe(MODEL, HEADS);
  }

  static List<SourceBatch> batches(long seed, int count) {
    Random random = new Random(seed);
    List<SourceBatch> out = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      int[][] rows = new int[16][];
      float[][] a = new float[16][1];
      float[][] b = new float[16][1];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = random.ints(3 + random.nextInt(6), 1, 25).toArray();
        a[i][0] = Arrays.stream(rows[i]).anyMatch(x -> x < 5) ? 1 : 0;
        b[i][0] = rows[i][0] % 3;
      }
      out.add(new SourceBatch(new TokenBatch(rows), Map.of("a", a, "b", b)));
    }
    return out;
  }

  record Run(List<StepResult> steps, Map<String, float[][]> scores) {}

  static Run train(ModelGraph graph, int steps) {
    try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("adam", 0.01), 3)) {
      List<StepResult> results = new ArrayList<>();
      List<SourceBatch> data = batches(11, steps);
      for (int i = 0; i < steps; i++) {
        results.add(network.trainStep(new TrainStep(List.of(data.get(i)), EQUAL, i, 0, 0.01, GradientNeed.LOSSES_ONLY)));
      }
      return new Run(results, network.predict(data.get(0).tokens(), List.of("a", "b")));
    }
  }

  @Test
  @DisplayName("soft sharing: the penalty's gradient pulls the task columns together")
  void softPenaltyPullsColumnsTogether() {
    Run run = train(describe(new SoftSharing(), Map.of("lambda", 0.01)), 40);
    double first = run.steps().get(0).penalty();
    double last = run.steps().get(39).penalty();
    assertThat(first).isPositive();
    assertThat(last).isLessThan(0.5 * first);
  }

  @Test
  @DisplayName("shared-private: with W_t frozen at zero it trains exactly like hard sharing")
  void sharedPrivateReducesToHard() {
    Run hard = train(new HardSharing().describe(MODEL, HEADS), 10);
    Run frozen = train(describe(new SharedPrivateSharing(), Map.of("train-private", false)), 10);
    for (int i = 0; i < 10; i++) {
      for (String task : List.of("a", "b")) {
        assertThat(frozen.steps().get(i).losses().get(task)).isCloseTo(hard.steps().get(i).losses().get(task), within(1e-5));
      }
    }
    assertThat(frozen.scores().get("b")[3][1]).isCloseTo(hard.scores().get("b")[3][1], within(1e-5f));
    // Trained private parts make the tasks' encoders differ, and the losses follow.
    Run trained = train(describe(new SharedPrivateSharing(), Map.of()), 10);
    assertThat(trained.steps().get(9).losses().get("a")).isNotEqualTo(hard.steps().get(9).losses().get("a"));
  }

  @Test
  @DisplayName("hierarchical: a low task's head sees only the layers below it")
  void hierarchicalLowTaskSeesOnlyLowerLayers() {
    ModelGraph graph = describe(new HierarchicalSharing(), Map.of("layers", 3, "depth", Map.of("a", 1), "feed-labels", List.of("a")));
    assertThat(ancestors(graph, graph.head("a").input()))
        .containsExactlyInAnyOrder(HierarchicalSharing.poolId(1), HierarchicalSharing.encoderId(1), Parts.EMBEDDING);
    Set<String> high = ancestors(graph, graph.head("b").input());
    assertThat(high).contains(HierarchicalSharing.encoderId(3), HierarchicalSharing.encoderId(1), "shared.layer1.feed.a");
    assertThat(train(graph, 3).steps()).allSatisfy(s -> assertThat(s.losses().values()).allSatisfy(l -> assertThat(l).isFinite()));
  }

  @Test
  @DisplayName("cross-stitch: mixing fixed at the identity equals separate task columns")
  void crossStitchIdentityIsSeparateColumns() {
    Run stitched = train(describe(new CrossStitchSharing(), Map.of("self-weight", 1.0, "train-mixing", false)), 8);
    Run separate = train(describe(new SoftSharing(), Map.of("lambda", 0.0)), 8);
    for (int i = 0; i < 8; i++) {
      assertThat(stitched.steps().get(i).losses().get("b")).isCloseTo(separate.steps().get(i).losses().get("b"), within(1e-5));
    }
    Run learned = train(describe(new CrossStitchSharing(), Map.of()), 8);
    assertThat(learned.steps().get(7).losses().get("b")).isNotEqualTo(separate.steps().get(7).losses().get("b"));
  }

  @Test
  @DisplayName("mmoe: each task's head reads its own gate over all experts")
  void mmoeGates() {
    ModelGraph graph = describe(new MmoeSharing(), Map.of("experts", 3));
    for (String task : List.of("a", "b")) {
      Layer gate = graph.layer(graph.head(task).input());
      assertThat(gate).isInstanceOf(Layer.Gate.class);
      assertThat(((Layer.Gate) gate).expertIds()).containsExactly("expert1.pool", "expert2.pool", "expert3.pool");
    }
  }

  private static Set<String> ancestors(ModelGraph graph, String id) {
    Set<String> out = new HashSet<>();
    List<String> todo = new ArrayList<>(List.of(id));
    while (!todo.isEmpty()) {
      String next = todo.remove(todo.size() - 1);
      if (out.add(next)) {
        todo.addAll(graph.layer(next).inputs());
        if (graph.layer(next) instanceof Layer.LabelFeed feed) {
          todo.add(graph.head(feed.task()).input());
        }
      }
    }
    return out;
  }
}
