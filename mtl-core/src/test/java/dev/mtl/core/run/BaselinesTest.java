package dev.mtl.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.task.TaskMetrics;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselinesTest {
  @Test
  @DisplayName("Δm% averages sign-adjusted relative changes per task, then over tasks")
  void deltaM() {
    Baselines baselines = new Baselines(
        Map.of("cls", new TaskMetrics(Map.of("accuracy", 0.80, "macro_f1", 0.50), "accuracy", 10),
            "reg", new TaskMetrics(Map.of("pearson", 0.5, "rmse", 2.0), "pearson", 10, Set.of("rmse"))),
        Map.of());
    // cls: accuracy +10%, macro_f1 -10% -> 0; reg: pearson +20%, rmse 2.0 -> 1.5 is 25% better -> 22.5
    Baselines.Comparison c = baselines.compare(
        Map.of("cls", new TaskMetrics(Map.of("accuracy", 0.88, "macro_f1", 0.45), "accuracy", 10),
            "reg", new TaskMetrics(Map.of("pearson", 0.6, "rmse", 1.5), "pearson", 10, Set.of("rmse"))),
        Map.of());
    assertThat(c.tasks().get("cls").gains().get("accuracy")).isCloseTo(10, within(1e-9));
    assertThat(c.tasks().get("cls").delta()).isCloseTo(0, within(1e-9));
    assertThat(c.tasks().get("reg").gains().get("rmse")).isCloseTo(25, within(1e-9));
    assertThat(c.tasks().get("reg").delta()).isCloseTo(22.5, within(1e-9));
    assertThat(c.deltaM()).isCloseTo(11.25, within(1e-9));
  }

  @Test
  @DisplayName("falls back to dev for tasks without test metrics, skips tasks without a baseline, and survives a file round trip")
  void devFallbackAndRoundTrip(@TempDir Path dir) throws Exception {
    Baselines baselines = new Baselines(Map.of(), Map.of("a", new TaskMetrics(Map.of("accuracy", 0.5), "accuracy", 4)));
    baselines.write(dir.resolve("b.json"));
    Baselines read = Baselines.read(dir.resolve("b.json"));
    assertThat(read).isEqualTo(baselines);
    Baselines.Comparison c = read.compare(Map.of(), Map.of("a", new TaskMetrics(Map.of("accuracy", 0.6), "accuracy", 4),
        "b", new TaskMetrics(Map.of("accuracy", 0.9), "accuracy", 4)));
    assertThat(c.tasks()).containsOnlyKeys("a");
    assertThat(c.tasks().get("a").split()).isEqualTo("dev");
    assertThat(c.deltaM()).isCloseTo(20, within(1e-9));
  }
}
