package dev.mtl.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import java.util.List;
import java.util.Optional;
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
        List.of(new Head("t", "p", TWO, 0)), Optional.of("p"));
    assertThat(graph.outputSize("e")).isEqualTo(50);
    assertThat(graph.outputSize("c")).isEqualTo(30);
    assertThat(graph.outputSize("p")).isEqualTo(14);
  }

  @Test
  @DisplayName("rejects reading a later layer, a head on a sequence and duplicate ids")
  void rejectsMalformed() {
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Pool("p", "e", PoolKind.MAX), new Layer.Embedding("e", 5, 0)),
        List.of(), Optional.empty())).hasMessageContaining("'p' reads 'e', which is not an earlier layer");
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Embedding("e", 5, 0)),
        List.of(new Head("t", "e", TWO, 0)), Optional.empty())).hasMessageContaining("must read a pool layer");
    assertThatThrownBy(() -> new ModelGraph(List.of(new Layer.Embedding("e", 5, 0), new Layer.Embedding("e", 5, 0)),
        List.of(), Optional.empty())).hasMessageContaining("two layers have the id 'e'");
  }
}
