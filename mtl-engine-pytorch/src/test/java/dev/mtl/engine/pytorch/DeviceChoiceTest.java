package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.testkit.SyntheticTasks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code engine.device}: cpu, gpu or auto. These machines have no GPU, so the GPU branches are
 * checked as far as a CPU machine can: auto falls back to the CPU, gpu fails with the fix.
 */
class DeviceChoiceTest {
  private static Engine engine(Map<String, Object> settings) {
    ConfigSection section = ConfigSection.of("run.yaml engine", Path.of("."), settings);
    Engine engine = new PyTorchEngineProvider().create(section);
    section.source().throwIfInvalid();
    return engine;
  }

  private static boolean gpuPresent() {
    return ai.djl.engine.Engine.getEngine(PyTorchEngine.ENGINE).getGpuCount() > 0;
  }

  @Test
  @DisplayName("cpu (the default) runs on the CPU and predicts there")
  void cpu() {
    for (Map<String, Object> settings : List.of(Map.<String, Object>of(), Map.<String, Object>of("device", "cpu"))) {
      try (Engine engine = engine(settings);
          Network network = engine.create(new NetworkSpec(SyntheticTasks.graph(EncoderKind.CNN, 0), 20, 0), new OptimizerSettings("adam",
              0.01), 1)) {
        assertThat(engine.device()).isEqualTo("cpu()");
        assertThat(network.predict(new TokenBatch(new int[][] {{3, 4, 5}}), List.of("has5")).get("has5")[0]).hasSize(2);
      }
    }
  }

  @Test
  @DisplayName("auto takes the GPU exactly when DJL finds one")
  void auto() {
    try (Engine engine = engine(Map.of("device", "auto"))) {
      assertThat(engine.device()).isEqualTo(gpuPresent() ? "gpu(0)" : "cpu()");
    }
  }

  @Test
  @DisplayName("gpu without a GPU fails naming the setting and the choices that work")
  void gpuWithoutOne() {
    assumeTrue(!gpuPresent(), "this machine has a GPU");
    try (Engine engine = engine(Map.of("device", "gpu"))) {
      assertThatThrownBy(engine::device).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("`engine.device` is 'gpu'").hasMessageContaining("'auto'").hasMessageContaining("'cpu'");
    }
  }

  @Test
  @DisplayName("an unknown device is a config problem naming the allowed values")
  void unknown() {
    ConfigSection section = ConfigSection.of("run.yaml engine", Path.of("."), Map.of("device", "cuda"));
    new PyTorchEngineProvider().create(section);
    assertThat(section.source().problems()).extracting(p -> p.message()).singleElement().asString()
        .contains("device").contains("cuda").contains("gpu").contains("auto");
  }
}
