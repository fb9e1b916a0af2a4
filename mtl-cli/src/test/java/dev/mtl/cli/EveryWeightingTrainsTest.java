package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.spi.LossWeightingProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every loss weighting mtl finds trains a three-task model from one config line. */
class EveryWeightingTrainsTest {
  @TempDir Path dir;

  @Test
  @DisplayName("weighting: <name> trains three GoEmotions tasks for every weighting plugin, with finite losses and weights")
  void everyWeightingTrains() throws Exception {
    Path group = EndToEndTest.firstLines("goemotions/group/train.tsv", 300, dir.resolve("group.tsv"));
    Path ekman = EndToEndTest.firstLines("goemotions/ekman/train.tsv", 300, dir.resolve("ekman.tsv"));
    Path emotion = EndToEndTest.firstLines("goemotions/original/train.tsv", 300, dir.resolve("emotion.tsv"));
    Path config = Files.writeString(dir.resolve("w.yaml"), """
        name: w
        output: run
        task-defaults: {type: text-classification, label-encoding: index, format: tsv, multi-label: true}
        tasks:
          - {name: group, labels: %s, train: %s}
          - {name: ekman, labels: %s, train: %s}
          - {name: emotion, labels: %s, train: %s}
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 16, encoder: cnn, hidden-size: 8}
        training: {epochs: 1, batch-size: 32, log-every: 1}
        """.formatted(EndToEndTest.shared("goemotions/group/labels.txt"), group, EndToEndTest.shared("goemotions/ekman/labels.txt"),
        ekman, EndToEndTest.shared("goemotions/original/labels.txt"), emotion));
    List<String> names = new ArrayList<>(PluginRegistry.load().all(LossWeightingProvider.class).keySet());
    assertThat(names).contains("krum", "dualproj", "upgrad", "equal", "graddrop", "trimmed-mean", "excess-mtl", "dbmtl", "moco", "modo",
        "auto-lambda", "moml", "forum").hasSizeGreaterThanOrEqualTo(33);
    ObjectMapper json = new ObjectMapper();
    for (String name : names) {
      Path output = dir.resolve("run-" + name);
      EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet", "--set", "weighting=" + name,
          "--set", "output=" + output);
      assertThat(r.code()).as(name + ": " + r.err()).isZero();
      JsonNode epoch = json.readTree(output.resolve("metrics.json").toFile()).get("epochs").get(0);
      for (String task : List.of("group", "ekman", "emotion")) {
        assertThat(epoch.get("mean_loss").get(task).asDouble()).as(name + " " + task).isFinite().isPositive();
        assertThat(epoch.get("mean_weight").get(task).asDouble()).as(name + " " + task).isFinite();
      }
    }
  }

  @Test
  @DisplayName("weightings that combine representation gradients themselves or need a meta batch are refused at load on an engine"
      + " that cannot give them that")
  void gradientCombinerNeedsPyTorch() throws Exception {
    Path group = EndToEndTest.firstLines("goemotions/group/train.tsv", 50, dir.resolve("group.tsv"));
    Path ekman = EndToEndTest.firstLines("goemotions/ekman/train.tsv", 50, dir.resolve("ekman.tsv"));
    Path config = Files.writeString(dir.resolve("tf.yaml"), """
        name: tf
        output: run
        task-defaults: {type: text-classification, label-encoding: index, format: tsv, multi-label: true}
        tasks:
          - {name: group, labels: %s, train: %s}
          - {name: ekman, labels: %s, train: %s}
        weighting: {type: graddrop}
        engine: tensorflow
        """.formatted(EndToEndTest.shared("goemotions/group/labels.txt"), group, EndToEndTest.shared("goemotions/ekman/labels.txt"),
        ekman));
    for (String weighting : List.of("graddrop", "auto-lambda", "forum")) {
      EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet", "--set", "output=" + dir.resolve("out"),
          "--set", "weighting=" + weighting);
      assertThat(r.code()).as(weighting).isEqualTo(2);
      assertThat(r.err()).contains("tf.yaml").contains("weighting.type").contains(weighting).contains("djl-pytorch");
    }
  }
}
