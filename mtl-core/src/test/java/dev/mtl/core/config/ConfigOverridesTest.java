package dev.mtl.core.config;

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
}
