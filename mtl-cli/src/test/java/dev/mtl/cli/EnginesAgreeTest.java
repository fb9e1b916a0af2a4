package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.spi.EngineProvider;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.testkit.SyntheticTasks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Both engines lower every layer kind alike: each sharing strategy's graph, from the same
 * engine-neutral initial parameters, predicts the same scores on PyTorch and on TensorFlow.
 */
class EnginesAgreeTest {
  @Test
  @DisplayName("every sharing strategy the TensorFlow engine runs predicts what PyTorch predicts from the same initial parameters")
  void sameForwardPass() throws Exception {
    PluginRegistry registry = PluginRegistry.load();
    Map<String, EngineProvider> engines = registry.all(EngineProvider.class);
    List<SharingStrategy.HeadRequest> heads = SyntheticTasks.graph(EncoderKind.CNN, 0).heads().stream()
        .map(h -> new SharingStrategy.HeadRequest(h.task(), h.output())).toList();
    ModelSpec model = new ModelSpec(12, EncoderKind.CNN, 6, 0.1, PoolKind.MAX);
    TokenBatch texts = SyntheticTasks.batch(new Random(4), 12).tokens();
    List<String> compared = new ArrayList<>();
    try (Engine tf = engines.get("tensorflow").create(ConfigSection.empty("engine"));
        Engine pt = engines.get("djl-pytorch").create(ConfigSection.empty("engine"))) {
      for (SharingStrategyProvider provider : registry.all(SharingStrategyProvider.class).values()) {
        if (provider.name().equals("adapters")) {
          continue; // adapters go inside a pretrained transformer; PretrainedCliTest covers them
        }
        ModelGraph graph = provider.create(ConfigSection.empty("sharing"), SyntheticTasks.TASKS).describe(model, heads);
        if (tf.unsupported(graph).isPresent()) {
          continue;
        }
        NetworkSpec spec = new NetworkSpec(graph, SyntheticTasks.VOCAB, SyntheticTasks.PAD);
        try (Network a = tf.create(spec, new OptimizerSettings("adam", 0.01), 7);
            Network b = pt.create(spec, new OptimizerSettings("adam", 0.01), 7)) {
          Map<String, float[][]> fromTf = a.predict(texts, SyntheticTasks.TASKS);
          Map<String, float[][]> fromPt = b.predict(texts, SyntheticTasks.TASKS);
          for (Head head : graph.heads()) {
            float[][] x = fromTf.get(head.task());
            float[][] y = fromPt.get(head.task());
            for (int r = 0; r < x.length; r++) {
              for (int k = 0; k < x[r].length; k++) {
                assertThat(x[r][k]).as("%s %s row %d", provider.name(), head.task(), r).isCloseTo(y[r][k], within(1e-4f));
              }
            }
          }
        }
        compared.add(provider.name());
      }
    }
    assertThat(compared).contains("hard", "mmoe", "cgc", "ple", "mtan", "dselect-k");
  }
}
