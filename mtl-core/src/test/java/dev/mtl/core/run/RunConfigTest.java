package dev.mtl.core.run;

import dev.mtl.core.config.InvalidConfigException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.model.EncoderKind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    return Files.writeString(dir.resolve("run.yaml"), yaml);
  }

  @Test
  @DisplayName("reads core settings with defaults and resolves paths against the config's folder")
  void readsSettings() throws Exception {
    RunConfig config = RunConfig.load(write("""
        seed: 7
        output: out/run
        tasks:
          - {name: a, type: t}
        model: {encoder: bilstm, hidden-size: 64}
        sharing: hard
        training: {epochs: 2, learning-rate: 0.01}
        """));
    config.root().source().throwIfInvalid();
    assertThat(config.name()).isEqualTo("run");
    assertThat(config.seed()).isEqualTo(7);
    assertThat(config.outputDirectory()).isEqualTo(dir.resolve("out/run"));
    assertThat(config.model().encoder()).isEqualTo(EncoderKind.BILSTM);
    assertThat(config.model().embeddingSize()).isEqualTo(128);
    assertThat(config.sharing().type()).isEqualTo("hard");
    assertThat(config.training().epochs()).isEqualTo(2);
    assertThat(config.training().optimizer().learningRate()).isEqualTo(0.01);
    assertThat(config.tasks()).extracting(RunConfig.TaskEntry::name).containsExactly("a");
  }

  @Test
  @DisplayName("reports every problem at once, each with its property, value, reason and file:line")
  void reportsAllProblems() throws Exception {
    Path file = write("""
        seed: 1
        tasks:
          - {name: a, type: t}
          - {name: a, type: t}
        model:
          encoder: lstm
          embeding-size: 100
          dropout: 1.5
        training:
          epochs: zero
        """);
    RunConfig config = RunConfig.load(file);
    config.root().reportUnknownKeys();
    assertThatThrownBy(() -> config.root().source().throwIfInvalid())
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("5 problems")
        .satisfies(e -> {
          String m = e.getMessage();
          assertThat(m).contains("`tasks[1].name` was 'a' but it must be unique", file + ":4");
          assertThat(m).contains("`model.encoder` was 'lstm' but it must be one of [bilstm, cnn, mean]", file + ":6");
          assertThat(m).contains("`model.embeding-size` was '100' but it is not a known setting here", file + ":7");
          assertThat(m).contains("`model.dropout` was '1.5' but it must be between 0.0 and 0.95", file + ":8");
          assertThat(m).contains("`training.epochs` was 'zero' but it must be a whole number", file + ":10");
        });
  }

  @Test
  @DisplayName("names the line of broken YAML and a missing file")
  void brokenYamlAndMissingFile() throws Exception {
    Path file = write("tasks:\n  - name: a\n    type: [unclosed\n");
    assertThatThrownBy(() -> RunConfig.load(file)).isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("is not valid YAML").hasMessageContaining(file.toString() + ":");
    assertThatThrownBy(() -> RunConfig.load(dir.resolve("nope.yaml"))).isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("nope.yaml").hasMessageContaining("was not found");
  }

  @Test
  @DisplayName("requires at least one task: none, or an empty list (which once trained nothing and saved a model)")
  void requiresTasks() throws Exception {
    RunConfig config = RunConfig.load(write("seed: 1\n"));
    assertThat(config.root().source().problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("`tasks` is missing but it must list at least one task"));
    RunConfig empty = RunConfig.load(write("tasks: []\n"));
    assertThat(empty.root().source().problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("`tasks` was '[]' but it must list at least one task"));
  }
}
