package com.example.mtl.regression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.data.DataException;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextRegressionTaskTest {
  @TempDir Path dir;

  private Task task(Map<String, Object> settings) {
    ConfigSection section = ConfigSection.of("test.yaml", dir, settings);
    Task task = new TextRegressionProvider().create("score", section);
    section.reportUnknownKeys();
    section.source().throwIfInvalid();
    return task;
  }

  @Test
  @DisplayName("standardises targets with the training mean and deviation, and decodes back to original units")
  void standardises() throws Exception {
    Path train = Files.writeString(dir.resolve("train.txt"), "1 a\n3 b\n5 c\n");
    Task task = task(Map.of("train", train.toString()));
    assertThat(task.output().loss()).isEqualTo(LossKind.MEAN_SQUARED_ERROR);
    assertThatThrownBy(() -> task.read(train)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has not learned its target scale");
    task.fit(train);
    TaskData data = task.read(train);
    double std = Math.sqrt(8 / 3.0);
    assertThat(data.targets().get(0)[0]).isCloseTo((float) (-2 / std), within(1e-6f));
    assertThat(data.targets().get(1)[0]).isZero();
    assertThat(task.decode(new float[] {(float) (1 / std)}).value()).isCloseTo(4.0, within(1e-5));
    assertThat(task.resolvedSettings()).containsEntry("target-mean", 3.0).containsEntry("loss", "mse");
  }

  @Test
  @DisplayName("evaluates in original units")
  void evaluatesInOriginalUnits() throws Exception {
    Path train = Files.writeString(dir.resolve("train.txt"), "0 a\n4 b\n");
    Task task = task(Map.of("train", train.toString()));
    task.fit(train);
    // mean 2, std 2: standardised 0 and 1 are values 2 and 4
    TaskMetrics m = task.evaluate(new float[][] {{0f}, {1f}}, new float[][] {{-1f}, {1f}});
    assertThat(m.values().get("mae")).isCloseTo(1.0, within(1e-9));
    assertThat(m.higherIsBetter("rmse")).isFalse();
  }

  @Test
  @DisplayName("without a train file, the scale must be given")
  void scaleWithoutTrainFile() {
    ConfigSection section = ConfigSection.of("test.yaml", dir, Map.of());
    new TextRegressionProvider().create("score", section);
    assertThat(section.source().problems()).extracting(p -> p.message())
        .anySatisfy(m -> assertThat(m).contains("`target-mean`").contains("is required, with `target-std`"));
    ConfigSection given = ConfigSection.of("test.yaml", dir, Map.of("target-mean", 3.0, "target-std", 2.0));
    Task task = new TextRegressionProvider().create("score", given);
    assertThat(given.source().problems()).isEmpty();
    assertThat(task.decode(new float[] {1f}).value()).isCloseTo(5.0, within(1e-6));
  }

  @Test
  @DisplayName("a value that is not a number fails with file:line and the fix")
  void badValue() throws Exception {
    Path train = Files.writeString(dir.resolve("train.txt"), "1 fine\nhigh not a number\n2,5 comma decimal\n");
    Task task = task(Map.of("train", train.toString(), "scale", "none"));
    assertThatThrownBy(() -> task.read(train)).isInstanceOf(DataException.class)
        .hasMessageContaining(train + ":2: has the value 'high', which is not a number")
        .hasMessageContaining(train + ":3: needs exactly one value but has [2, 5]")
        .hasMessageContaining("bad-rows: skip");
  }
}
