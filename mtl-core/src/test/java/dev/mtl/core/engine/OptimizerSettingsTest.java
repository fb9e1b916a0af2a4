package dev.mtl.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OptimizerSettingsTest {
  @Test
  @DisplayName("warm-up rises linearly, then linear and cosine decay end at the minimum on the last step")
  void schedules() {
    OptimizerSettings linear = new OptimizerSettings("adam", 0.01, 0, 0, 4, "linear", 0.001);
    assertThat(linear.rateAt(0, 14)).isCloseTo(0.0025, within(1e-15));
    assertThat(linear.rateAt(3, 14)).isCloseTo(0.01, within(1e-15));
    assertThat(linear.rateAt(4, 14)).isCloseTo(0.01, within(1e-15));
    assertThat(linear.rateAt(13, 14)).isCloseTo(0.001, within(1e-15));
    // Halfway through the 10 decay steps (t = 4.5 / 9): 0.001 + 0.009 · 0.5.
    assertThat(linear.rateAt(8, 14) + linear.rateAt(9, 14)).isCloseTo(2 * 0.0055, within(1e-15));
    OptimizerSettings cosine = new OptimizerSettings("sgd", 1.0, 0, 0, 0, "cosine", 0);
    assertThat(cosine.rateAt(0, 3)).isCloseTo(1.0, within(1e-15));
    assertThat(cosine.rateAt(1, 3)).isCloseTo(0.5, within(1e-15));
    assertThat(cosine.rateAt(2, 3)).isCloseTo(0.0, within(1e-15));
    assertThat(new OptimizerSettings("adam", 0.002).rateAt(500, 1000)).isEqualTo(0.002);
  }

  @Test
  @DisplayName("reads the training section and rejects a minimum above the peak rate")
  void reads() {
    ConfigSection training = ConfigSection.of("run.yaml", Path.of("."), Map.of("learning-rate", 0.01, "weight-decay", 1e-4,
        "clip-norm", 1.0, "warmup-steps", 100, "decay", "cosine", "min-learning-rate", 0.02));
    OptimizerSettings settings = OptimizerSettings.read(training);
    assertThat(settings).isEqualTo(new OptimizerSettings("adam", 0.01, 1e-4, 1.0, 100, "cosine", 0.02));
    assertThat(training.source().problems()).extracting(p -> p.message())
        .containsExactly("`min-learning-rate` was '0.02' but it must not exceed learning-rate (0.01) (run.yaml)");
  }

  @Test
  @DisplayName("adamw decays weight matrices and embedding tables, not vectors; adam and sgd decay every parameter")
  void decoupledDecayShapes() {
    OptimizerSettings adamw = OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of("optimizer", "adamw",
        "weight-decay", 0.01)));
    assertThat(adamw.decoupledDecay()).isTrue();
    assertThat(adamw.adaptive()).isTrue();
    assertThat(adamw.weightDecayOf(new long[] {384, 384})).isEqualTo(0.01);
    assertThat(adamw.weightDecayOf(new long[] {384})).isZero();
    OptimizerSettings adam = new OptimizerSettings("adam", 0.001, 0.01, 0, 0, "none", 0);
    assertThat(adam.decoupledDecay()).isFalse();
    assertThat(adam.weightDecayOf(new long[] {384})).isEqualTo(0.01);
    assertThat(new OptimizerSettings("sgd", 0.1).adaptive()).isFalse();
  }

  @Test
  @DisplayName("layer decay is 1 (none) unless set, and must lie in (0, 1]")
  void layerDecay() {
    assertThat(OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of())).layerDecay()).isEqualTo(1);
    assertThat(OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of("layer-decay", 0.8))).layerDecay()).isEqualTo(0.8);
    ConfigSection above = ConfigSection.of("run.yaml", Path.of("."), Map.of("layer-decay", 1.5));
    OptimizerSettings.read(above);
    assertThat(above.source().problems()).extracting(p -> p.message()).singleElement().asString().contains("layer-decay").contains("1.5");
  }

  @Test
  @DisplayName("embedding updates are sparse unless set to dense; anything else is refused naming the choices")
  void embeddingUpdates() {
    assertThat(OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of())).embeddingUpdates()).isEqualTo("sparse");
    assertThat(OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of("embedding-updates", "dense")))
        .sparseEmbeddings()).isFalse();
    ConfigSection wrong = ConfigSection.of("run.yaml", Path.of("."), Map.of("embedding-updates", "lazy"));
    OptimizerSettings.read(wrong);
    assertThat(wrong.source().problems()).extracting(p -> p.message()).singleElement().asString()
        .contains("embedding-updates").contains("lazy").contains("sparse").contains("dense");
  }

  @Test
  @DisplayName("ema-decay is off unless set; its decay starts low and rises to the setting; 1 or above is refused")
  void movingAverage() {
    OptimizerSettings off = OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of()));
    assertThat(off.averages()).isFalse();
    OptimizerSettings on = OptimizerSettings.read(ConfigSection.of("run.yaml", Path.of("."), Map.of("ema-decay", 0.999)));
    assertThat(on.averages()).isTrue();
    assertThat(on.averageDecayAt(1)).isCloseTo(2.0 / 11, within(1e-12));
    assertThat(on.averageDecayAt(100)).isCloseTo(101.0 / 110, within(1e-12));
    assertThat(on.averageDecayAt(100_000)).isEqualTo(0.999);
    assertThat(on.withEmbeddingUpdates("dense").averageDecay()).isEqualTo(0.999);
    ConfigSection one = ConfigSection.of("run.yaml", Path.of("."), Map.of("ema-decay", 1));
    OptimizerSettings.read(one);
    assertThat(one.source().problems()).extracting(p -> p.message()).singleElement().asString().contains("ema-decay").contains("1");
  }
}
