package dev.mtl.cli;

import static dev.mtl.cli.EndToEndTest.firstLines;
import static dev.mtl.cli.EndToEndTest.run;
import static dev.mtl.cli.EndToEndTest.shared;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.cli.EndToEndTest.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code model.head-bias: prior}: heads start at their training labels' frequencies. */
class HeadBiasCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TRAIN_ROWS = 800;

  @TempDir Path dir;

  private Path config(String name, String headBias) throws Exception {
    String data = "goemotions/original";
    return Files.writeString(dir.resolve(name + ".yaml"), "name: " + name + "\nseed: 3\noutput: " + name + "\ntasks:\n"
        + "  - name: emotion\n    type: text-classification\n    format: tsv\n    multi-label: true\n    label-encoding: index\n"
        + "    labels: " + shared(data + "/labels.txt") + "\n"
        + "    train: " + firstLines(data + "/train.tsv", TRAIN_ROWS, dir.resolve("train.tsv")) + "\n"
        + "    dev: " + firstLines(data + "/dev.tsv", 200, dir.resolve("dev.tsv")) + "\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16" + headBias + "}\n"
        + "training: {epochs: 1, batch-size: 16, learning-rate: 0.005}\n");
  }

  private JsonNode firstEvent(String run, String event) throws Exception {
    for (String line : Files.readAllLines(dir.resolve(run).resolve("training-log.jsonl"))) {
      JsonNode node = JSON.readTree(line);
      if (event.equals(node.path("event").asText())) {
        return node;
      }
    }
    throw new AssertionError("no " + event + " event in " + run);
  }

  @Test
  @DisplayName("each of the 28 labels' sigmoids starts at its smoothed training frequency, so the first step's loss is the labels'"
      + " entropy rather than a coin flip's")
  void startsAtTheLabelFrequencies() throws Exception {
    Result prior = run("train", config("prior", ", head-bias: prior").toString());
    Result random = run("train", config("random", "").toString());
    assertThat(prior.code()).as(prior.err()).isZero();
    assertThat(random.code()).as(random.err()).isZero();

    int[] counts = new int[28];
    List<String> rows = Files.readAllLines(dir.resolve("train.tsv"), StandardCharsets.UTF_8);
    for (String row : rows) {
      for (String id : row.split("\t")[1].split(",")) {
        counts[Integer.parseInt(id)]++;
      }
    }
    JsonNode biases = firstEvent("prior", "head-bias").get("biases").get("head.emotion.bias");
    assertThat(biases.size()).isEqualTo(28);
    double entropy = 0;
    for (int label = 0; label < 28; label++) {
      double p = (counts[label] + 1.0) / (rows.size() + 2);
      assertThat(biases.get(label).asDouble()).as("label %d", label).isCloseTo(Math.log(p / (1 - p)), within(1e-5));
      entropy -= (p * Math.log(p) + (1 - p) * Math.log(1 - p)) / 28;
    }
    double priorLoss = firstEvent("prior", "step").get("losses").get("emotion").asDouble();
    double randomLoss = firstEvent("random", "step").get("losses").get("emotion").asDouble();
    // One batch of 16 rows: its loss is near the labels' mean entropy over the training rows, not equal to it.
    assertThat(priorLoss).as("the training labels' mean entropy is %.3f", entropy).isBetween(entropy / 2, entropy * 1.5);
    assertThat(randomLoss).as("near log 2, every label a coin flip").isGreaterThan(0.6);
    assertThat(Files.readString(dir.resolve("random/training-log.jsonl"))).doesNotContain("head-bias");
  }

  @Test
  @DisplayName("another value is refused with the ones it may take")
  void refusesOtherValues() throws Exception {
    Result bad = run("train", config("bad", ", head-bias: zero").toString());
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("head-bias").contains("zero").contains("prior").contains("random");
  }
}
