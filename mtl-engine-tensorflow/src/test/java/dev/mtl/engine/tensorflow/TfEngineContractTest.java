package dev.mtl.engine.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.testkit.EngineContract;
import dev.mtl.testkit.SyntheticTasks;
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
}
