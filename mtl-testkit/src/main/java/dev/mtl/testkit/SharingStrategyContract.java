package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The contract of a sharing strategy: a valid description with one head per task, for every encoder. */
public abstract class SharingStrategyContract extends PluginContract<SharingStrategyProvider> {
  /** Settings of a valid strategy; empty by default. */
  protected Map<String, Object> settings() {
    return Map.of();
  }

  @Override
  protected final Class<SharingStrategyProvider> pluginInterface() {
    return SharingStrategyProvider.class;
  }

  protected static final List<SharingStrategy.HeadRequest> HEADS = List.of(
      new SharingStrategy.HeadRequest("sentiment", new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("neg", "pos"))),
      new SharingStrategy.HeadRequest("topics", new OutputSpec(3, LossKind.SIGMOID_BINARY_CROSS_ENTROPY, List.of("a", "b", "c"))),
      new SharingStrategy.HeadRequest("score", new OutputSpec(1, LossKind.MEAN_SQUARED_ERROR, List.of("value"))));

  protected ModelGraph describe(EncoderKind encoder) {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    SharingStrategy strategy = plugin().create(section, HEADS.stream().map(SharingStrategy.HeadRequest::task).toList());
    assertThat(section.source().problems()).isEmpty();
    return strategy.describe(new ModelSpec(16, encoder, 8, 0.1, encoder.defaultPooling()), HEADS);
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("describes one head per task with that task's outputs")
  void oneHeadPerTask(EncoderKind encoder) {
    ModelGraph graph = describe(encoder);
    assertThat(graph.heads()).extracting(Head::task).containsExactly("sentiment", "topics", "score");
    for (int i = 0; i < HEADS.size(); i++) {
      assertThat(graph.heads().get(i).output()).isEqualTo(HEADS.get(i).output());
    }
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("gives the same description for the same input")
  void deterministic(EncoderKind encoder) {
    assertThat(describe(encoder)).isEqualTo(describe(encoder));
  }

  @ParameterizedTest
  @EnumSource(PoolKind.class)
  @DisplayName("honours the pooling asked for")
  void honoursPooling(PoolKind pooling) {
    SharingStrategy strategy = plugin().create(ConfigSection.of("contract", Path.of("."), settings()),
        HEADS.stream().map(SharingStrategy.HeadRequest::task).toList());
    ModelGraph graph = strategy.describe(new ModelSpec(16, EncoderKind.CNN, 8, 0.1, pooling), HEADS);
    assertThat(graph.layers()).filteredOn(l -> l instanceof dev.mtl.core.model.Layer.Pool)
        .allSatisfy(l -> assertThat(((dev.mtl.core.model.Layer.Pool) l).kind()).isEqualTo(pooling));
  }
}
