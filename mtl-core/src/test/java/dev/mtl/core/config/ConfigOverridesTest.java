package dev.mtl.core.config;

import dev.mtl.core.run.RunConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigOverridesTest {
  @TempDir Path dir;

  @Test
  @DisplayName("--set replaces nested values with typed YAML and names itself in problems")
  void overrides() throws Exception {
    Path file = Files.writeString(dir.resolve("run.yaml"), "tasks:\n  - {name: a, type: t}\nsharing: hard\ntraining: {epochs: 3}\n");
    RunConfig config = RunConfig.load(file, List.of("sharing.type=soft", "sharing.lambda=0.5", "training.epochs=1", "model.dropout=2"));
    assertThat(config.sharing().type()).isEqualTo("soft");
    assertThat(config.sharing().settings().values()).containsEntry("lambda", 0.5);
    assertThat(config.training().epochs()).isEqualTo(1);
    assertThat(config.root().source().problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("`model.dropout` was '2' but it must be between 0.0 and 0.95 (--set model.dropout=2)"));
    assertThatThrownBy(() -> RunConfig.load(file, List.of("no-equals-sign"))).hasMessageContaining("must look like key.path=value");
  }

  @Test
  @DisplayName("--set reaches a task's settings by index or by name, and problems there name the --set")
  void perTask() throws Exception {
    Path file = Files.writeString(dir.resolve("run.yaml"), "tasks:\n  - {name: a, type: t}\n  - {name: b, type: t}\n");
    RunConfig byIndex = RunConfig.load(file, List.of("tasks[1].unlabelled-rows=mask", "tasks[0].threshold=0.3"));
    assertThat(byIndex.tasks().get(1).settings().values()).containsEntry("unlabelled-rows", "mask").containsEntry("name", "b");
    assertThat(byIndex.tasks().get(0).settings().values()).containsEntry("threshold", 0.3);
    RunConfig byName = RunConfig.load(file, List.of("tasks.b.dev=d.txt"));
    assertThat(byName.tasks().get(1).settings().values()).containsEntry("dev", "d.txt");
    assertThat(byName.tasks().get(1).settings().source().locate("tasks[1].dev")).isEqualTo("--set tasks.b.dev=d.txt");
    RunConfig renamed = RunConfig.load(file, List.of("tasks[0].name=a b"));
    assertThat(renamed.root().source().problems()).singleElement().satisfies(p -> assertThat(p.message())
        .isEqualTo("`tasks[0].name` was 'a b' but it must be letters, digits, '_', '-' or '.', starting with a letter or digit"
            + " (--set tasks[0].name=a b)"));
    assertThatThrownBy(() -> RunConfig.load(file, List.of("tasks[2].dev=x"))).hasMessageContaining(
        "`tasks[2].dev` was 'x' but it names entry 2 of tasks, which has 2 entries (0 to 1) (--set tasks[2].dev=x)");
    assertThatThrownBy(() -> RunConfig.load(file, List.of("tasks.c.dev=x"))).hasMessageContaining(
        "names 'c' in tasks, which has no entry of that name; its names: [a, b] (or use an index, e.g. tasks[0]) (--set tasks.c.dev=x)");
  }
}
