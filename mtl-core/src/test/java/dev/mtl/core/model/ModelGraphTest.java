package dev.mtl.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ModelGraphTest {
  private static final OutputSpec TWO = new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("a", "b"));

  @Test
  @DisplayName("computes output widths through the layers")
  void widths() {
    ModelGraph graph = new ModelGraph(List.of(
        new Layer.Embedding("e", 50, 0), new Layer.Encoder("c", "e", EncoderKind.CNN, 10),
        new Layer.Encoder("l", "c", EncoderKind.BILSTM, 7), new Layer.Pool("p", "l", PoolKind.MAX)),
        List.of(new Head("t", "p", TWO, 0)));
    assertThat(graph.outputSize("e")).isEqualTo(50);
    assertThat(graph.outputSize("c")).isEqualTo(30);
    assertThat(graph.outputSize("p")).isEqualTo(14);
  }

  @Test
  @DisplayName("rejects reading a later layer, a head on a sequence and duplicate ids")
  void rejectsMalformed() {
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Pool("p", "e", PoolKind.MAX), new Layer.Embedding("e", 5, 0)),
        List.of())).hasMessageContaining("'p' reads 'e', which is not an earlier layer");
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Embedding("e", 5, 0)),
        List.of(new Head("t", "e", TWO, 0)))).hasMessageContaining("must read a vector layer");
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Embedding("e", 5, 0), new Layer.Embedding("e", 5, 0)),
        List.of())).hasMessageContaining("two layers have the id 'e'");
  }

  @Test
  @DisplayName("checks mixing, gates, label feeds and parameter bases")
  void checksComposites() {
    Layer e = new Layer.Embedding("e", 8, 0);
    Layer a = new Layer.Encoder("a", "e", EncoderKind.CNN, 4);
    Layer b = new Layer.Encoder("b", "e", EncoderKind.CNN, 5);
    assertThatThrownBy(() -> new ModelGraph(List.of(e, a, b, new Layer.Mix("m", List.of("a", "b"), 0, "u", 0.9)), List.of()))
        .hasMessageContaining("combines inputs of different widths [12, 15]");
    assertThatThrownBy(() -> new ModelGraph(List.of(e, new Layer.Encoder("p", "e", EncoderKind.CNN, 4, Optional.of("e"))), List.of()))
        .hasMessageContaining("adds to the parameters of 'e', which must be an earlier layer of the same kind");
    Layer pool = new Layer.Pool("pool", "e", PoolKind.MEAN);
    assertThatThrownBy(() -> new ModelGraph(List.of(e, new Layer.LabelFeed("f", "e", "t"), pool), List.of(new Head("t", "pool", TWO, 0))))
        .hasMessageContaining("feeds task 't', whose head reads 'pool', which is not an earlier layer");
    ModelGraph fed = new ModelGraph(List.of(e, pool, new Layer.LabelFeed("f", "e", "t"), new Layer.Pool("top", "f", PoolKind.MAX)),
        List.of(new Head("t", "pool", TWO, 0)));
    assertThatThrownBy(() -> new ModelGraph(fed.layers(), fed.heads(), List.of(), Set.of("nope")))
        .hasMessageContaining("'nope' is frozen but is neither a layer nor a mixing unit");
    assertThat(fed.outputSize("f")).isEqualTo(10);
    List<Layer> gated = new ArrayList<>(fed.layers());
    gated.add(new Layer.Gate("g", List.of("pool", "top"), "pool"));
    assertThatThrownBy(() -> new ModelGraph(gated, fed.heads()))
        .hasMessageContaining("layer 'g' combines inputs of different widths [8, 10]");
  }

  @Test
  @DisplayName("concatenation, gradient reversal and auxiliary losses: widths, and what they may read")
  void adversarialParts() {
    List<Layer> layers = List.of(new Layer.Embedding("e", 8, 0), new Layer.Pool("s", "e", PoolKind.MEAN),
        new Layer.Encoder("c", "e", EncoderKind.CNN, 2), new Layer.Pool("p", "c", PoolKind.MAX),
        new Layer.Concat("both", List.of("s", "p")), new Layer.GradientReversal("r", "s", 1));
    List<Head> heads = List.of(new Head("t", "both", TWO, 0), new Head("u", "p", TWO, 0));
    List<AuxiliaryLoss> auxiliary = List.of(new AuxiliaryLoss.TaskDiscriminator("d", "r", 0.05),
        new AuxiliaryLoss.Orthogonality(0.01, List.of(new AuxiliaryLoss.Pair("t", "s", "p"))));
    ModelGraph graph = new ModelGraph(layers, heads, List.of(), Set.of(), auxiliary);
    assertThat(graph.outputSize("both")).isEqualTo(14);
    assertThat(graph.isSequence("both")).isFalse();
    assertThat(graph.outputSize("r")).isEqualTo(8);
    // The discriminator's path is no task's: the tasks' own parameters do not include it.
    assertThat(graph.parametersOf("t")).doesNotContain(ParameterOwner.auxiliary("d"));
    assertThatThrownBy(() -> new ModelGraph(layers, heads, List.of(), Set.of(),
        List.of(new AuxiliaryLoss.TaskDiscriminator("d", "e", 0.05)))).hasMessageContaining("reads 'e', which must be a vector layer");
    assertThatThrownBy(() -> new ModelGraph(layers, heads.subList(0, 1), List.of(), Set.of(), auxiliary.subList(0, 1)))
        .hasMessageContaining("needs at least two tasks to tell apart");
    assertThatThrownBy(() -> new ModelGraph(layers, heads, List.of(), Set.of(),
        List.of(new AuxiliaryLoss.Orthogonality(0.01, List.of(new AuxiliaryLoss.Pair("v", "s", "p"))))))
        .hasMessageContaining("names task 'v', which has no head");
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Embedding("e", 8, 0), new Layer.Concat("x", List.of("e"))), List.of()))
        .hasMessageContaining("layer 'x' needs vectors but 'e' is a sequence");
    assertThatThrownBy(() -> new Layer.GradientReversal("r", "s", -1)).hasMessageContaining("finite scale of at least 0");
    assertThat(graph.withFrozen(Set.of("c")).auxiliaryLosses()).isEqualTo(auxiliary);
  }
}
