package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.config.ConfigSection;
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
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.spi.EngineProvider;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.weighting.GradientNeed;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Assumptions;
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

  /** Encoders the strategy can build on; others must be refused with an IllegalArgumentException. */
  protected Set<EncoderKind> supportedEncoders() {
    return EnumSet.allOf(EncoderKind.class);
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("refuses the encoders it does not support with a message, and builds on the others")
  void encoderSupport(EncoderKind encoder) {
    if (supportedEncoders().contains(encoder)) {
      assertThat(describe(encoder).heads()).hasSize(HEADS.size());
    } else {
      Assertions.assertThatThrownBy(() -> describe(encoder))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(encoder.configName());
    }
  }

  /**
   * The model the strategy builds on: token embeddings of 16, the encoder with 8 units, {@code
   * pooling}. A strategy that needs more (e.g. a transformer) returns it here.
   */
  protected ModelSpec model(EncoderKind encoder, PoolKind pooling) {
    return new ModelSpec(16, encoder, 8, 0.1, pooling);
  }

  protected ModelGraph describe(EncoderKind encoder) {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    SharingStrategy strategy = plugin().create(section, HEADS.stream().map(SharingStrategy.HeadRequest::task).toList());
    assertThat(section.source().problems()).isEmpty();
    return strategy.describe(model(encoder, encoder.defaultPooling()), HEADS);
  }

  @ParameterizedTest
  @EnumSource(EncoderKind.class)
  @DisplayName("describes one head per task with that task's outputs")
  void oneHeadPerTask(EncoderKind encoder) {
    Assumptions.assumeTrue(supportedEncoders().contains(encoder));
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
    Assumptions.assumeTrue(supportedEncoders().contains(encoder));
    assertThat(describe(encoder)).isEqualTo(describe(encoder));
  }

  @org.junit.jupiter.api.Test
  @DisplayName("recreates the same description from its settings after a JSON round trip, as a saved model does")
  void configRoundTrip() throws Exception {
    ObjectMapper json = new ObjectMapper();
    @SuppressWarnings("unchecked")
    Map<String, Object> reread = json.readValue(json.writeValueAsString(settings()), Map.class);
    List<String> tasks = HEADS.stream().map(SharingStrategy.HeadRequest::task).toList();
    EncoderKind encoder = supportedEncoders().iterator().next();
    ModelSpec model = model(encoder, encoder.defaultPooling());
    ModelGraph original = plugin().create(ConfigSection.of("contract", Path.of("."), settings()), tasks).describe(model, HEADS);
    ModelGraph restored = plugin().create(ConfigSection.of("saved", Path.of("."), reread), tasks).describe(model, HEADS);
    assertThat(restored).isEqualTo(original);
  }

  /** Settings the strategy must reject; by default an unknown option. */
  protected Map<String, Object> invalidSettings() {
    return Map.of("no-such-option", 1);
  }

  @org.junit.jupiter.api.Test
  @DisplayName("rejects bad settings with a message naming the property")
  void rejectsBadSettings() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), invalidSettings());
    plugin().create(section, HEADS.stream().map(SharingStrategy.HeadRequest::task).toList());
    section.reportUnknownKeys();
    assertThat(section.source().problems()).isNotEmpty()
        .allSatisfy(p -> assertThat(invalidSettings().keySet()).anySatisfy(k -> assertThat(p.property()).startsWith(k)));
  }

  @org.junit.jupiter.api.Test
  @DisplayName("trains on a tiny batch with finite losses, when an engine is on the test class path")
  void finiteLossesOnTinyBatch() {
    Optional<EngineProvider> provider = PluginRegistry.load()
        .all(EngineProvider.class).values().stream().findFirst();
    Assumptions.assumeTrue(provider.isPresent(), "no engine on the test class path");
    ModelGraph graph = describe(EncoderKind.CNN);
    Random random = new Random(1);
    int[][] rows = new int[4][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = random.ints(2 + i, 1, 30).toArray();
    }
    Map<String, float[][]> targets = new LinkedHashMap<>();
    for (SharingStrategy.HeadRequest head : HEADS) {
      float[][] t = new float[rows.length][head.output().targetWidth()];
      for (float[] row : t) {
        row[0] = head.output().loss() == LossKind.SOFTMAX_CROSS_ENTROPY ? random.nextInt(head.output().size()) : 1f;
      }
      targets.put(head.task(), t);
    }
    SourceBatch batch = new SourceBatch(new TokenBatch(rows), targets);
    try (Engine engine = provider.get().create(ConfigSection.empty("engine"));
        Network network = engine.create(new NetworkSpec(graph, 30, 0), new OptimizerSettings("adam", 0.01), 1)) {
      for (int step = 0; step < 2; step++) {
        StepResult result = network.trainStep(new TrainStep(List.of(batch), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY));
        assertThat(result.losses()).containsOnlyKeys("sentiment", "topics", "score");
        assertThat(result.losses().values()).allSatisfy(l -> assertThat(l).isFinite());
        assertThat(result.penalty()).isFinite();
      }
      Map<String, float[][]> scores = network.predict(new TokenBatch(rows), List.of("sentiment", "topics", "score"));
      assertThat(scores.get("topics")).hasNumberOfRows(rows.length);
      assertThat(scores.get("topics")[0]).hasSize(3);
    }
  }

  @ParameterizedTest
  @EnumSource(PoolKind.class)
  @DisplayName("pools encoded sequences the way the model asks")
  void honoursPooling(PoolKind pooling) {
    SharingStrategy strategy = plugin().create(ConfigSection.of("contract", Path.of("."), settings()),
        HEADS.stream().map(SharingStrategy.HeadRequest::task).toList());
    ModelGraph graph = strategy.describe(model(EncoderKind.CNN, pooling), HEADS);
    // Pools over encoded sequences follow the model's pooling; a pool straight over the embedding
    // (e.g. an MMoE gate's input) may choose its own.
    assertThat(graph.layers()).filteredOn(l -> l instanceof Layer.Pool p
            && !(graph.layer(p.inputId()) instanceof Layer.Embedding))
        .isNotEmpty()
        .allSatisfy(l -> assertThat(((Layer.Pool) l).kind()).isEqualTo(pooling));
  }
}
