package dev.mtl.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskDefaultsTest {
  @TempDir Path dir;

  @Test
  @DisplayName("task-defaults go into every task unless it sets them; maps merge key by key; lines point where each value is written")
  void merges() throws Exception {
    Path file = Files.writeString(dir.resolve("run.yaml"), """
        task-defaults:
          type: text-classification
          format: tsv
          labels: [a, b]
          holdout: {dev: 0.1, test: 0.1}
        tasks:
          - name: one
            train: one.tsv
          - name: two
            format: csv
            holdout: {test: 0.2}
            train: two.tsv
        """);
    ConfigSection root = TaskDefaults.apply(YamlConfigReader.read(file));
    assertThat(root.values()).doesNotContainKey("task-defaults");
    List<ConfigSection> tasks = root.sections("tasks");
    assertThat(tasks.get(0).values()).containsEntry("type", "text-classification").containsEntry("format", "tsv")
        .containsEntry("labels", List.of("a", "b")).containsEntry("holdout", Map.of("dev", 0.1, "test", 0.1));
    assertThat(tasks.get(1).values()).containsEntry("format", "csv").containsEntry("holdout", Map.of("dev", 0.1, "test", 0.2));
    ConfigSource source = root.source();
    assertThat(source.locate("tasks[0].format")).isEqualTo(file + ":3");
    assertThat(source.locate("tasks[1].format")).isEqualTo(file + ":10");
    assertThat(source.locate("tasks[0].labels[1]")).isEqualTo(file + ":4");
    assertThat(source.locate("tasks[1].holdout.dev")).isEqualTo(file + ":5");
    assertThat(source.locate("tasks[1].holdout.test")).isEqualTo(file + ":11");
    // Each task has its own copy: changing one never changes another.
    assertThat(tasks.get(0).values().get("labels")).isNotSameAs(tasks.get(1).values().get("labels"));
  }

  @Test
  @DisplayName("--set task-defaults.KEY changes every task that takes KEY from there, and problems name the --set")
  void overridden() throws Exception {
    Path file = Files.writeString(dir.resolve("run.yaml"), """
        task-defaults: {type: t, format: tsv}
        tasks:
          - {name: one}
          - {name: two, format: jsonl}
        """);
    ConfigSection root = TaskDefaults.apply(ConfigOverrides.apply(YamlConfigReader.read(file), List.of("task-defaults.format=csv")));
    List<ConfigSection> tasks = root.sections("tasks");
    assertThat(tasks.get(0).values()).containsEntry("format", "csv");
    assertThat(tasks.get(1).values()).containsEntry("format", "jsonl");
    assertThat(root.source().locate("tasks[0].format")).isEqualTo("--set task-defaults.format=csv");
    assertThat(root.source().locate("tasks[0].type")).isEqualTo(file + ":1");
  }

  @Test
  @DisplayName("task-defaults that is not a map is an error naming its line")
  void notAMap() throws Exception {
    Path file = Files.writeString(dir.resolve("run.yaml"), "tasks:\n  - {name: a}\ntask-defaults: tsv\n");
    assertThatThrownBy(() -> TaskDefaults.apply(YamlConfigReader.read(file))).hasMessageContaining("`task-defaults` was 'tsv' but it must be a map")
        .hasMessageContaining(file + ":3");
  }
}
