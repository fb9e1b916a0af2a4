package dev.mtl.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.testkit.EngineContract;
import dev.mtl.testkit.SyntheticTasks;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The tensorflow engine meets the engine contract, and refuses up front what it cannot run. */
class TfEngineContractTest extends EngineContract {
  @Override
  protected Engine createEngine() {
    return new TfEngineProvider().create(ConfigSection.empty("engine"));
  }

  @Test
  @DisplayName("a BiLSTM encoder is refused up front, naming the engine that runs it")
  void bilstmRefused() {
    try (Engine engine = createEngine()) {
      assertThat(engine.unsupported(SyntheticTasks.graph(EncoderKind.BILSTM, 0)))
          .hasValueSatisfying(problem -> assertThat(problem).contains("bilstm").contains("djl-pytorch"));
      assertThat(engine.unsupported(SyntheticTasks.graph(EncoderKind.CNN, 0))).isEmpty();
    }
  }

  @Test
  @DisplayName("Learning to Branch's sampled parents and the bilevel weightings' meta batches are refused up front, naming djl-pytorch")
  void branchingAndMetaBatchesRefused() {
    ModelGraph plain = SyntheticTasks.graph(EncoderKind.CNN, 0);
    List<Layer> layers = new ArrayList<>(List.of(new Layer.Embedding("emb", 8, 0), new Layer.Encoder("e1", "emb", EncoderKind.CNN, 4),
        new Layer.Encoder("e2", "emb", EncoderKind.CNN, 4),
        new Layer.Mix("parent", List.of("e1", "e2"), 0, "branch", 0.5, Optional.of(new Layer.Branching(1, 100))),
        new Layer.Pool("pool", "parent", PoolKind.MAX)));
    ModelGraph branched = new ModelGraph(layers, plain.heads().stream()
        .map(h -> new Head(h.task(), "pool", h.output(), h.dropout())).toList());
    try (Engine engine = createEngine()) {
      assertThat(engine.unsupported(branched))
          .hasValueSatisfying(problem -> assertThat(problem).contains("Learning to Branch").contains("'parent'").contains("djl-pytorch"));
      assertThat(engine.unsupported(GradientNeed.GRAMIAN_WITH_META_BATCH))
          .hasValueSatisfying(problem -> assertThat(problem).contains("meta-batch").contains("djl-pytorch"));
    }
  }
}
