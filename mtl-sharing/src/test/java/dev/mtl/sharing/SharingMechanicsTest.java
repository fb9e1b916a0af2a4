package dev.mtl.sharing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ParameterOwner;
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
import java.nio.file.Files;
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
import org.junit.jupiter.api.io.TempDir;

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
    return train(graph, batches(11, steps), steps);
  }

  /** Trains {@code steps} steps, step i on batch i modulo the batches given. */
  static Run train(ModelGraph graph, List<SourceBatch> data, int steps) {
    try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("adam", 0.01), 3)) {
      List<StepResult> results = new ArrayList<>();
      for (int i = 0; i < steps; i++) {
        results.add(network.trainStep(new TrainStep(List.of(data.get(i % data.size())), EQUAL, i, 0, 0.01, GradientNeed.LOSSES_ONLY)));
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

  @Test
  @DisplayName("cgc: each task's gate mixes its own experts and the shared ones; a task's loss never reaches another's experts")
  void cgcGates() {
    ModelGraph graph = describe(new CgcSharing(), Map.of("shared-experts", 2, "task-experts", 2));
    Layer.Gate gate = (Layer.Gate) graph.layer(graph.head("a").input());
    assertThat(gate.expertIds()).containsExactly("level1.a.expert1.pool", "level1.a.expert2.pool", "level1.shared.expert1.pool",
        "level1.shared.expert2.pool");
    assertThat(graph.parametersOf("a")).extracting(ParameterOwner::id)
        .contains("shared.embedding", "level1.a.expert1.encoder", "level1.shared.expert2.encoder", "level1.gate.a", "a")
        .doesNotContain("level1.b.expert1.encoder", "level1.gate.b", "b");
    assertThat(graph.sharedParameters()).extracting(ParameterOwner::id)
        .containsExactlyInAnyOrder("shared.embedding", "level1.shared.expert1.encoder", "level1.shared.expert2.encoder");
  }

  @Test
  @DisplayName("ple: lower levels gate sequences for the level above; a task reaches others' lower experts only through the shared gate")
  void pleLevels() {
    ModelGraph graph = describe(new PleSharing(), Map.of("levels", 2, "shared-experts", 1, "task-experts", 1));
    // Level 1's gates mix sequences (the level-2 encoders read them); level 2's mix pooled vectors for the heads.
    assertThat(graph.isSequence("level1.gate.a")).isTrue();
    assertThat(graph.isSequence("level1.gate.shared")).isTrue();
    assertThat(graph.isSequence(graph.head("a").input())).isFalse();
    assertThat(((Layer.Encoder) graph.layer("level2.a.expert1.encoder")).inputId()).isEqualTo("level1.gate.a");
    assertThat(((Layer.Encoder) graph.layer("level2.shared.expert1.encoder")).inputId()).isEqualTo("level1.gate.shared");
    assertThat(((Layer.Gate) graph.layer("level1.gate.shared")).expertIds())
        .containsExactly("level1.shared.expert1.encoder", "level1.a.expert1.encoder", "level1.b.expert1.encoder");
    // Task a reaches b's level-1 expert through the shared gate, but never b's level-2 expert or gate.
    assertThat(graph.parametersOf("a")).extracting(ParameterOwner::id)
        .contains("level1.b.expert1.encoder", "level1.gate.shared", "level2.shared.expert1.encoder", "level2.gate.a")
        .doesNotContain("level2.b.expert1.encoder", "level2.gate.b", "level1.gate.b");
    // It trains: the sequence gates work on the engine and the loss falls.
    Run run = train(graph, 30);
    double first = run.steps().get(0).losses().get("a") + run.steps().get(0).losses().get("b");
    double last = run.steps().get(29).losses().get("a") + run.steps().get(29).losses().get("b");
    assertThat(last).isLessThan(first);
  }

  @Test
  @DisplayName("mtan: each task masks every shared layer with its own attention, reading its attention below; it trains")
  void mtanAttention() {
    ModelGraph graph = describe(new MtanSharing(), Map.of("layers", 2));
    Layer.TaskAttention top = (Layer.TaskAttention) graph.layer("attention.a.layer2");
    assertThat(top.inputId()).isEqualTo("shared.layer2.encoder");
    assertThat(top.contextId()).contains("attention.a.layer1");
    assertThat(((Layer.TaskAttention) graph.layer("attention.a.layer1")).contextId()).isEmpty();
    assertThat(((Layer.Pool) graph.layer(graph.head("a").input())).inputId()).isEqualTo("attention.a.layer2");
    assertThat(graph.parametersOf("a")).extracting(ParameterOwner::id)
        .contains("shared.embedding", "shared.layer1.encoder", "shared.layer2.encoder", "attention.a.layer1", "attention.a.layer2")
        .doesNotContain("attention.b.layer1", "attention.b.layer2");
    assertThat(graph.sharedParameters()).extracting(ParameterOwner::id)
        .containsExactlyInAnyOrder("shared.embedding", "shared.layer1.encoder", "shared.layer2.encoder");
    Run run = train(graph, 30);
    double first = run.steps().get(0).losses().get("a") + run.steps().get(0).losses().get("b");
    double last = run.steps().get(29).losses().get("a") + run.steps().get(29).losses().get("b");
    assertThat(last).isLessThan(first);
  }

  @Test
  @DisplayName("dselect-k: a selector whose smooth steps sit at 0 or 1 reads exactly the expert its binary code names; halfway codes split evenly")
  void dselectSelectsByCode() {
    ModelGraph sparse = describe(new DSelectKSharing(), Map.of("experts", 4, "k", 1, "gamma", 1.0));
    Layer.Gate gate = (Layer.Gate) sparse.layer(sparse.head("a").input());
    assertThat(gate.sparse()).contains(new Layer.DSelect(1, 1.0));
    assertThat(gate.logits()).isEqualTo(3); // two code bits and one mixing logit
    TokenBatch texts = batches(5, 1).get(0).tokens();
    // Codes (z₀, z₁) with the gate's weights at zero: z = (0.5, −0.5) → S = (1, 0) → bits (1, 0) → expert 2 (index 1);
    // (0.5, 0.5) → expert 4; (0, 0.5) → S = (½, 1): experts 3 and 4 (bit 1 set) at ½ each.
    assertThat(gateOutput(sparse, new float[] {0.5f, -0.5f, 0}, texts)).isEqualTo(expertOutput(sparse, List.of("expert2.pool"), texts));
    assertThat(gateOutput(sparse, new float[] {2f, 3f, 0}, texts)).isEqualTo(expertOutput(sparse, List.of("expert4.pool"), texts));
    float[][] split = gateOutput(sparse, new float[] {0, 0.5f, 0}, texts);
    float[][] even = expertOutput(sparse, List.of("expert3.pool", "expert4.pool"), texts);
    for (int r = 0; r < split.length; r++) {
      assertThat(split[r]).containsExactly(even[r], within(1e-5f));
    }
    // A task's loss reaches every expert (until its selectors settle) and its own gate only.
    assertThat(sparse.parametersOf("a")).extracting(ParameterOwner::id)
        .contains("expert1.encoder", "expert4.encoder", "gate.a").doesNotContain("gate.b");
    Run run = train(sparse, 30);
    assertThat(run.steps().get(29).losses().get("a")).isLessThan(run.steps().get(0).losses().get("a"));
  }

  @Test
  @DisplayName("learning-to-branch: at inference a task reads only its most likely parent column; the other column's"
      + " parameters change nothing")
  void branchInferenceReadsTheArgmaxParent() {
    ModelGraph graph = describe(new LearningToBranchSharing(), Map.of("layers", 2));
    Layer.Mix parent = (Layer.Mix) graph.layer("column.a.layer2.parent");
    assertThat(parent.branching()).isPresent();
    assertThat(parent.inputIds()).containsExactly("column.a.layer1.encoder", "column.b.layer1.encoder");
    TokenBatch texts = batches(5, 1).get(0).tokens();
    Map<String, ParameterFile.Tensor> initial = ParameterLayout.of(graph, 25, 0).initialValues(3);
    assertThat(initial.get("branch2.alpha").values()).containsOnly(0f); // every parent equally likely at first
    // Row a = task a's logits over (column a, column b).
    float[][] viaB = scores(graph, withLogits(initial, 0, 5, 0, 0), texts);
    assertThat(scores(graph, withLogits(initial, 1, 7, 0, 0), texts)).isEqualTo(viaB); // same argmax, same reading
    Map<String, ParameterFile.Tensor> changedColumnA = new java.util.LinkedHashMap<>(withLogits(initial, 0, 5, 0, 0));
    changedColumnA.replaceAll((name, tensor) -> name.startsWith("column.a.layer1.") ? scaled(tensor, 3) : tensor);
    assertThat(scores(graph, changedColumnA, texts)).as("column a's first layer is not read").isEqualTo(viaB);
    float[][] viaA = scores(graph, withLogits(initial, 5, 0, 0, 0), texts);
    assertThat(viaA).isNotEqualTo(viaB);
  }

  @Test
  @DisplayName("learning-to-branch: a training step sends task a's gradient through one sampled parent only; the logits learn"
      + " and the losses fall")
  void branchTrainingSamplesOneParent(@TempDir Path dir) throws Exception {
    ModelGraph graph = describe(new LearningToBranchSharing(), Map.of("layers", 2));
    LossWeighting onlyA = TestWeightings.needing(GradientNeed.LOSSES_ONLY, input -> input.tasks().stream()
        .mapToDouble(task -> task.equals("a") ? 1 : 0).toArray());
    Map<String, ParameterFile.Tensor> initial = ParameterLayout.of(graph, 25, 0).initialValues(3);
    int movedOnce = 0;
    for (int seed = 0; seed < 6; seed++) {
      Map<String, ParameterFile.Tensor> after;
      try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("sgd", 0.1), seed)) {
        network.setParameters(initial);
        network.trainStep(new TrainStep(batches(seed, 1), onlyA, 0, 0, 0.1, GradientNeed.LOSSES_ONLY));
        Path saved = Files.createDirectories(dir.resolve("seed" + seed));
        network.save(saved);
        after = ParameterFile.read(saved.resolve(ParameterLayout.FILE));
      }
      boolean columnA = moved(initial, after, "column.a.layer1.encoder.conv3.weight");
      boolean columnB = moved(initial, after, "column.b.layer1.encoder.conv3.weight");
      assertThat(columnA ^ columnB).as("seed %d: exactly one parent gets task a's gradient", seed).isTrue();
      movedOnce += columnB ? 1 : 0;
      assertThat(moved(initial, after, "column.b.layer2.encoder.conv3.weight")).as("task b's own column, unweighted").isFalse();
      assertThat(moved(initial, after, "branch2.alpha")).as("the straight-through gradient reaches the logits").isTrue();
    }
    assertThat(movedOnce).as("both parents get sampled over the seeds").isBetween(1, 5);
    Run run = train(graph, 40);
    double first = run.steps().get(0).losses().get("a") + run.steps().get(0).losses().get("b");
    double last = run.steps().get(39).losses().get("a") + run.steps().get(39).losses().get("b");
    assertThat(last).isLessThan(first);
  }

  @Test
  @DisplayName("learning-to-branch: the Gumbel-softmax temperature falls by √2 every half-life's worth of steps")
  void branchTemperature() {
    Layer.Branching branching = new Layer.Branching(2, 100);
    assertThat(branching.temperature(0)).isEqualTo(2);
    assertThat(branching.temperature(100)).isCloseTo(2 / Math.sqrt(2), within(1e-12));
    assertThat(branching.temperature(300)).isCloseTo(1, within(1e-12));
  }

  private static Map<String, ParameterFile.Tensor> withLogits(Map<String, ParameterFile.Tensor> values, float... alpha) {
    Map<String, ParameterFile.Tensor> out = new java.util.LinkedHashMap<>(values);
    out.put("branch2.alpha", new ParameterFile.Tensor(new long[] {2, 2}, alpha));
    return out;
  }

  private static ParameterFile.Tensor scaled(ParameterFile.Tensor tensor, float factor) {
    float[] values = tensor.values().clone();
    for (int i = 0; i < values.length; i++) {
      values[i] = values[i] * factor + 0.01f;
    }
    return new ParameterFile.Tensor(tensor.shape(), values);
  }

  private static boolean moved(Map<String, ParameterFile.Tensor> before, Map<String, ParameterFile.Tensor> after, String name) {
    return !Arrays.equals(before.get(name).values(), after.get(name).values());
  }

  private static float[][] scores(ModelGraph graph, Map<String, ParameterFile.Tensor> values, TokenBatch texts) {
    try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("adam", 0.01), 3)) {
      network.setParameters(values);
      return network.predict(texts, List.of("a")).get("a");
    }
  }

  /** Task a's scores from {@code graph} with gate a's weights at zero and its bias (codes, then mixing logits) as given. */
  private static float[][] gateOutput(ModelGraph graph, float[] bias, TokenBatch texts) {
    Map<String, ParameterFile.Tensor> values = new java.util.LinkedHashMap<>(ParameterLayout.of(graph, 25, 0).initialValues(3));
    ParameterFile.Tensor weight = values.get("gate.a.weight");
    values.put("gate.a.weight", new ParameterFile.Tensor(weight.shape(), new float[weight.values().length]));
    values.put("gate.a.bias", new ParameterFile.Tensor(new long[] {bias.length}, bias));
    try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("adam", 0.01), 3)) {
      network.setParameters(values);
      return network.predict(texts, List.of("a")).get("a");
    }
  }

  /** Task a's scores when its head reads the mean of {@code experts} directly (a softmax gate with equal logits), same parameters. */
  private static float[][] expertOutput(ModelGraph graph, List<String> experts, TokenBatch texts) {
    List<Layer> layers = new ArrayList<>(graph.layers().stream().filter(l -> !l.id().equals("gate.a")).toList());
    layers.add(new Layer.Gate("direct", experts, MmoeSharing.GATE_INPUT));
    List<dev.mtl.core.model.Head> heads = graph.heads().stream()
        .map(h -> h.task().equals("a") ? new dev.mtl.core.model.Head(h.task(), "direct", h.output(), h.dropout()) : h).toList();
    ModelGraph direct = new ModelGraph(layers, heads);
    Map<String, ParameterFile.Tensor> values = new java.util.LinkedHashMap<>(ParameterLayout.of(graph, 25, 0).initialValues(3));
    values.remove("gate.a.weight");
    values.remove("gate.a.bias");
    int n = experts.size();
    int in = direct.outputSize(MmoeSharing.GATE_INPUT);
    values.put("direct.weight", new ParameterFile.Tensor(new long[] {n, in}, new float[n * in]));
    values.put("direct.bias", new ParameterFile.Tensor(new long[] {n}, new float[n]));
    try (Network network = engine.create(new NetworkSpec(direct, 25, 0), new OptimizerSettings("adam", 0.01), 3)) {
      network.setParameters(values);
      return network.predict(texts, List.of("a")).get("a");
    }
  }

  /** Each task's rows as a data source of its own, as separate datasets arrive. */
  static List<SourceBatch> singleTaskSources(long seed) {
    SourceBatch both = batches(seed, 1).get(0);
    return List.of(new SourceBatch(both.tokens(), Map.of("a", both.targets().get("a"))),
        new SourceBatch(new TokenBatch(Arrays.copyOfRange(both.tokens().rows(), 8, 16)),
            Map.of("b", Arrays.copyOfRange(both.targets().get("b"), 8, 16))));
  }

  @Test
  @DisplayName("asp: the task discriminator counts batches from one task's source only, and the orthogonality penalty falls")
  void aspAuxiliaryLosses() {
    ModelGraph adversarial = describe(new AdversarialSharedPrivateSharing(), Map.of("adversarial-weight", 1, "orthogonality-weight", 0));
    try (Network network = engine.create(new NetworkSpec(adversarial, 25, 0), new OptimizerSettings("adam", 0.01), 3)) {
      // One corpus labelled for both tasks: no source to tell, no adversarial loss.
      assertThat(network.trainStep(new TrainStep(batches(1, 1), EQUAL, 0, 0, 0.01, GradientNeed.LOSSES_ONLY)).penalty()).isZero();
      // Two sources: a fresh discriminator is near chance, -ln(1/2) per row.
      assertThat(network.trainStep(new TrainStep(singleTaskSources(2), EQUAL, 1, 0, 0.01, GradientNeed.LOSSES_ONLY)).penalty())
          .isCloseTo(Math.log(2), within(0.3));
    }
    ModelGraph orthogonal = describe(new AdversarialSharedPrivateSharing(), Map.of("adversarial-weight", 0, "orthogonality-weight", 100));
    assertThat(orthogonal.layers()).noneMatch(l -> l instanceof Layer.GradientReversal);
    // One batch over and over: the penalty then measures the same rows each step, not a new draw.
    List<StepResult> steps = train(orthogonal, batches(11, 1), 40).steps();
    double first = steps.get(0).penalty();
    double last = steps.get(39).penalty();
    assertThat(first).isPositive();
    // Not to zero: with fewer rows than features the two row spaces cannot be fully orthogonal.
    assertThat(last).isLessThan(0.3 * first);
  }

  @Test
  @DisplayName("asp: the gradient reversal sends the discriminator's gradient to the shared encoder negated, and to the discriminator as is")
  void aspGradientReversal(@TempDir Path dir) throws Exception {
    ModelGraph graph = describe(new AdversarialSharedPrivateSharing(), Map.of("adversarial-weight", 1, "orthogonality-weight", 0));
    String reversal = AdversarialSharedPrivateSharing.REVERSAL;
    List<Layer> unscaled = new ArrayList<>();
    List<Layer> direct = new ArrayList<>();
    for (Layer layer : graph.layers()) {
      boolean isReversal = layer.id().equals(reversal);
      unscaled.add(isReversal ? new Layer.GradientReversal(reversal, AdversarialSharedPrivateSharing.SHARED_POOL, 0) : layer);
      // A plain copy in its place: the discriminator's own gradient, not reversed.
      direct.add(isReversal ? new Layer.Concat(reversal, List.of(AdversarialSharedPrivateSharing.SHARED_POOL)) : layer);
    }
    Map<String, ParameterFile.Tensor> reversed = afterOneStep(graph, dir.resolve("reversed"));
    Map<String, ParameterFile.Tensor> blocked = afterOneStep(withLayers(graph, unscaled), dir.resolve("blocked"));
    Map<String, ParameterFile.Tensor> plain = afterOneStep(withLayers(graph, direct), dir.resolve("plain"));
    // Plain SGD: update = -rate · (task gradient + adversarial gradient · sign), so reversed + plain = 2 · blocked.
    float[] r = reversed.get("shared.encoder.conv3.weight").values();
    float[] b = blocked.get("shared.encoder.conv3.weight").values();
    float[] p = plain.get("shared.encoder.conv3.weight").values();
    double moved = 0;
    for (int i = 0; i < r.length; i++) {
      assertThat(r[i] + p[i]).as("weight %d", i).isCloseTo(2 * b[i], within(1e-6f));
      moved += Math.abs(r[i] - b[i]);
    }
    assertThat(moved).as("the adversarial gradient reaches the shared encoder").isGreaterThan(1e-4);
    assertThat(reversed.get("discriminator.weight").values()).containsExactly(plain.get("discriminator.weight").values(), within(1e-7f));
    assertThat(reversed.get("private.a.encoder.conv3.weight").values())
        .containsExactly(blocked.get("private.a.encoder.conv3.weight").values(), within(1e-7f));
  }

  private static ModelGraph withLayers(ModelGraph graph, List<Layer> layers) {
    return new ModelGraph(layers, graph.heads(), graph.penalties(), graph.frozen(), graph.auxiliaryLosses());
  }

  private static Map<String, ParameterFile.Tensor> afterOneStep(ModelGraph graph, Path dir) throws Exception {
    try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("sgd", 0.1), 3)) {
      network.trainStep(new TrainStep(singleTaskSources(5), EQUAL, 0, 0, 0.1, GradientNeed.LOSSES_ONLY));
      Files.createDirectories(dir);
      network.save(dir);
    }
    return ParameterFile.read(dir.resolve(ParameterLayout.FILE));
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
