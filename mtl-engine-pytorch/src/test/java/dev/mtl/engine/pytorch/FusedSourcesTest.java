package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.weighting.GradientNeed;
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
 * A step over several data sources makes one pass over all their rows (shared layers once, private
 * layers and heads on their own source's rows): the losses and every parameter's gradient are those
 * of one pass per source, for each sharing shape, with and without row-wise embedding updates.
 */
class FusedSourcesTest {
  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());
  @TempDir Path dir;

  private static final List<Head> HEADS = SyntheticTasks.graph(EncoderKind.CNN, 0).heads();

  private static ModelGraph hard(EncoderKind encoder) {
    return SyntheticTasks.graph(encoder, 0);
  }

  /** Adversarial shared-private as the `asp` strategy builds it: shared and private encoders, discriminator, orthogonality. */
  private static ModelGraph adversarial() {
    List<Layer> layers = new ArrayList<>(List.of(new Layer.Embedding("emb", 8, 0),
        new Layer.Encoder("shared.enc", "emb", EncoderKind.BILSTM, 4), new Layer.Pool("shared.pool", "shared.enc", PoolKind.MAX)));
    List<Head> heads = new ArrayList<>();
    List<AuxiliaryLoss.Pair> pairs = new ArrayList<>();
    for (Head head : HEADS) {
      String p = head.task() + ".";
      layers.add(new Layer.Encoder(p + "enc", "emb", EncoderKind.CNN, 4));
      layers.add(new Layer.Pool(p + "pool", p + "enc", PoolKind.MEAN));
      layers.add(new Layer.Concat(p + "features", List.of("shared.pool", p + "pool")));
      heads.add(new Head(head.task(), p + "features", head.output(), 0));
      pairs.add(new AuxiliaryLoss.Pair(head.task(), "shared.pool", p + "pool"));
    }
    layers.add(new Layer.GradientReversal("reversal", "shared.pool", 1));
    return new ModelGraph(layers, heads, List.of(), Set.of(),
        List.of(new AuxiliaryLoss.TaskDiscriminator("discriminator", "reversal", 0.5), new AuxiliaryLoss.Orthogonality(0.1, pairs)));
  }

  /** Two sources: 24 rows for has5, and 11 short rows (1 to 3 tokens) for has67 and share8 together. */
  private static List<SourceBatch> twoSources() {
    return List.of(only(SyntheticTasks.batch(new Random(1), 24), "has5"),
        only(cut(SyntheticTasks.batch(new Random(2), 11), 3), "has67", "share8"));
  }

  /** One task per source, sizes 24, 11 and 6, lengths 2-11, 1-3 and 12-20 tokens. */
  private static List<SourceBatch> threeSources() {
    return List.of(only(SyntheticTasks.batch(new Random(1), 24), "has5"),
        only(cut(SyntheticTasks.batch(new Random(2), 11), 3), "has67"),
        only(longer(SyntheticTasks.batch(new Random(3), 6), 12), "share8"));
  }

  private static SourceBatch only(SourceBatch batch, String... tasks) {
    Map<String, float[][]> targets = new LinkedHashMap<>();
    for (String task : tasks) {
      targets.put(task, batch.targets().get(task));
    }
    return new SourceBatch(batch.tokens(), targets);
  }

  /** Each row cut to at most {@code max} tokens (at least 1). */
  private static SourceBatch cut(SourceBatch batch, int max) {
    int[][] rows = Arrays.stream(batch.tokens().rows()).map(row -> Arrays.copyOf(row, Math.min(max, row.length))).toArray(int[][]::new);
    return new SourceBatch(new TokenBatch(rows), batch.targets());
  }

  /** Each row repeated until it has at least {@code min} tokens. */
  private static SourceBatch longer(SourceBatch batch, int min) {
    int[][] rows = Arrays.stream(batch.tokens().rows()).map(row -> {
      int[] out = row;
      while (out.length < min) {
        int[] grown = Arrays.copyOf(out, out.length + row.length);
        System.arraycopy(row, 0, grown, out.length, row.length);
        out = grown;
      }
      return out;
    }).toArray(int[][]::new);
    return new SourceBatch(new TokenBatch(rows), batch.targets());
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    Map<String, ModelGraph> graphs = new LinkedHashMap<>();
    graphs.put("hard CNN", hard(EncoderKind.CNN));
    graphs.put("hard BiLSTM", hard(EncoderKind.BILSTM));
    graphs.put("shared-private", GramianTest.sharedPrivate()); // private encoders on a shared base, under a penalty
    graphs.put("adversarial shared-private", adversarial());
    for (var graph : graphs.entrySet()) {
      for (String updates : List.of("sparse", "dense")) {
        out.add(Arguments.of(graph.getKey(), graph.getValue(), updates, 3));
      }
      out.add(Arguments.of(graph.getKey(), graph.getValue(), "sparse", 2));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}, {1} embedding updates, {3} sources")
  @MethodSource("cases")
  @DisplayName("one pass over all sources gives each pass's losses and gradients")
  void sameLossesAndGradients(String name, ModelGraph graph, String updates, int sources) throws Exception {
    List<SourceBatch> batches = sources == 3 ? threeSources() : twoSources();
    Step fused = step(graph, updates, batches, true, name + "-" + updates + sources + "-fused");
    Step separate = step(graph, updates, batches, false, name + "-" + updates + sources + "-separate");

    assertThat(fused.result().losses().keySet()).containsExactlyElementsOf(separate.result().losses().keySet());
    fused.result().losses().forEach((task, loss) ->
        assertThat(loss).as("loss of %s", task).isCloseTo(separate.result().losses().get(task), offset(1e-5)));
    assertThat(fused.result().penalty()).isCloseTo(separate.result().penalty(), offset(1e-6));
    // One SGD step at rate 1 moves each parameter by minus its gradient.
    assertThat(fused.delta().keySet()).isEqualTo(separate.delta().keySet());
    double largest = 0;
    for (String parameter : fused.delta().keySet()) {
      float[] a = fused.delta().get(parameter);
      float[] b = separate.delta().get(parameter);
      for (int i = 0; i < a.length; i++) {
        assertThat((double) a[i]).as("gradient of %s[%d]", parameter, i).isCloseTo(b[i], offset(2e-5 + 1e-4 * Math.abs(b[i])));
        largest = Math.max(largest, Math.abs(b[i]));
      }
    }
    assertThat(largest).as("the step moved parameters").isGreaterThan(1e-3);
  }

  @Test
  @DisplayName("batches share a pass while padding them to its longest adds few positions per pass saved")
  void lengthGroups() {
    // Lengths 3, 20, 4, 11, 12 of 32 rows each.
    int[] lengths = {3, 20, 4, 11, 12};
    int[] sizes = {32, 32, 32, 32, 32};
    // 3 and 4: 32 padded positions for one pass saved; 11 and 12: 32 too; 20 would add 8·64 = 512.
    assertThat(PyTorchNetwork.lengthGroups(lengths, sizes, 64)).containsExactly(new int[] {0, 2}, new int[] {3, 4}, new int[] {1});
    assertThat(PyTorchNetwork.lengthGroups(lengths, sizes, 31)).containsExactly(new int[] {0}, new int[] {2}, new int[] {3},
        new int[] {4}, new int[] {1});
    assertThat(PyTorchNetwork.lengthGroups(lengths, sizes, Double.POSITIVE_INFINITY)).containsExactly(new int[] {0, 2, 3, 4, 1});
    // Equal lengths share a pass at no cost; -1 keeps every batch apart.
    assertThat(PyTorchNetwork.lengthGroups(new int[] {7, 7}, new int[] {32, 5}, 0)).containsExactly(new int[] {0, 1});
    assertThat(PyTorchNetwork.lengthGroups(new int[] {7, 7}, new int[] {32, 5}, -1)).containsExactly(new int[] {0}, new int[] {1});
  }

  private record Step(StepResult result, Map<String, float[]> delta) {}

  private Step step(ModelGraph graph, String updates, List<SourceBatch> batches, boolean fuse, String name) throws Exception {
    OptimizerSettings sgd = new OptimizerSettings("sgd", 1).withEmbeddingUpdates(updates);
    try (Network network = engine.create(new NetworkSpec(graph, SyntheticTasks.VOCAB, SyntheticTasks.PAD), sgd, 7)) {
      ((PyTorchNetwork) network).fusedPadding = fuse ? Double.POSITIVE_INFINITY : -1;
      Map<String, ParameterFile.Tensor> before = TrainingControlsTest.savedParameters(network, dir.resolve(name + "-before"));
      StepResult result = network.trainStep(new TrainStep(batches, TestWeightings.equal(), 0, 0, 1, GradientNeed.LOSSES_ONLY));
      Map<String, ParameterFile.Tensor> after = TrainingControlsTest.savedParameters(network, dir.resolve(name + "-after"));
      return new Step(result, TrainingControlsTest.change(before, after));
    }
  }
}
