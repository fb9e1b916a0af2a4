package dev.mtl.engine.pretrained;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.pytorch.jni.JniUtils;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.engine.pytorch.PyTorchEngineProvider;
import dev.mtl.testkit.SyntheticTasks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A run with a pretrained encoder loads it (ONNX Runtime, which starts PyTorch as its helper)
 * before the training engine. {@code engine.threads} must still hold: once it did not, and two
 * runs side by side on 2 cores, each training on two threads where one was asked for, took 7 times as long.
 */
class EngineThreadsTest {
  @Test
  @DisplayName("engine.threads holds when a pretrained encoder started PyTorch first")
  void threadsAfterEncoder() {
    int before;
    try (SentenceEncoder encoder = new DjlSentenceEncoderProvider().create(ConfigSection.empty("model.pretrained-encoder"))) {
      assertThat(encoder.encode(List.of("PyTorch is running now."))[0]).hasSize(384);
      before = JniUtils.getNumThreads();
    }
    int wanted = before == 1 ? 2 : 1;
    ConfigSection section = ConfigSection.of("run.yaml engine", Path.of("."), Map.of("threads", wanted));
    try (Engine engine = new PyTorchEngineProvider().create(section);
        Network network = engine.create(new NetworkSpec(SyntheticTasks.graph(EncoderKind.CNN, 0), 20, 0),
            new OptimizerSettings("adam", 0.01), 1)) {
      section.source().throwIfInvalid();
      assertThat(network.predict(new TokenBatch(new int[][] {{3, 4, 5}}), List.of("has5")).get("has5")[0]).hasSize(2);
      assertThat(JniUtils.getNumThreads()).isEqualTo(wanted);
    } finally {
      JniUtils.setNumThreads(before);
    }
  }
}
