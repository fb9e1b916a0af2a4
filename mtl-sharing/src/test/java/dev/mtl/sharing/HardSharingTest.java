package dev.mtl.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.testkit.SharingStrategyContract;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HardSharingTest extends SharingStrategyContract {
  @Override
  protected SharingStrategyProvider plugin() {
    return new HardSharing();
  }

  @Test
  @DisplayName("every head reads the one shared pooled representation")
  void headsShareOneRepresentation() {
    ModelGraph graph = describe(EncoderKind.BILSTM);
    assertThat(graph.layers()).hasSize(3);
    assertThat(graph.heads()).extracting(Head::input).containsOnly(HardSharing.POOL);
    assertThat(graph.sharedRepresentation()).contains(HardSharing.POOL);
    assertThat(graph.outputSize(HardSharing.POOL)).isEqualTo(16);
  }
}
