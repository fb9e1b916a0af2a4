package dev.mtl.cli;

import static dev.mtl.cli.EndToEndTest.firstLines;
import static dev.mtl.cli.EndToEndTest.run;
import static dev.mtl.cli.EndToEndTest.shared;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.cli.EndToEndTest.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code training.ema-decay}: runs evaluate, select and save a moving average of the weights. */
class MovingAverageCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private Path config(String name, String training) throws Exception {
    String data = "goemotions/ekman";
    return Files.writeString(dir.resolve(name + ".yaml"), "name: " + name + "\nseed: 5\noutput: " + name + "\ntasks:\n"
        + "  - name: ekman\n    type: text-classification\n    format: tsv\n    multi-label: true\n    label-encoding: index\n"
        + "    labels: " + shared(data + "/labels.txt") + "\n"
        + "    train: " + firstLines(data + "/train.tsv", 600, dir.resolve("train.tsv")) + "\n"
        + "    dev: " + firstLines(data + "/dev.tsv", 200, dir.resolve("dev.tsv")) + "\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 32, encoder: cnn, hidden-size: 16, dropout: 0.1}\n"
        + "training: {epochs: 2, batch-size: 16, learning-rate: 0.005" + training + "}\n");
  }

  private List<JsonNode> events(String run, String event) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve(run).resolve("training-log.jsonl"))) {
      JsonNode node = JSON.readTree(line);
      if (event.equals(node.path("event").asText())) {
        out.add(node);
      }
    }
    return out;
  }

  @Test
  @DisplayName("the weights train as without it (the same losses every step), while dev evaluations and the saved model are the"
      + " average's")
  void evaluatesAndSavesTheAverage() throws Exception {
    Path averaged = config("averaged", ", ema-decay: 0.99");
    Result withAverage = run("train", averaged.toString());
    Result plain = run("train", config("plain", "").toString());
    assertThat(withAverage.code()).as(withAverage.err()).isZero();
    assertThat(plain.code()).as(plain.err()).isZero();

    List<JsonNode> steps = events("averaged", "step");
    assertThat(steps).hasSizeGreaterThan(1);
    assertThat(steps.stream().map(s -> s.get("losses")).toList())
        .isEqualTo(events("plain", "step").stream().map(s -> s.get("losses")).toList());

    JsonNode averagedDev = events("averaged", "evaluation").get(1).get("metrics").get("ekman").get("values");
    JsonNode plainDev = events("plain", "evaluation").get(1).get("metrics").get("ekman").get("values");
    assertThat(averagedDev).isNotEqualTo(plainDev);

    Result eval = run("eval", dir.resolve("averaged/model").toString(), averaged.toString(), "--split", "dev", "--json");
    assertThat(eval.code()).as(eval.err()).isZero();
    assertThat(JSON.readTree(eval.out()).get("metrics").get("ekman").get("values")).isEqualTo(averagedDev);
  }

  @Test
  @DisplayName("a decay of 1 or more is refused, naming the key and the range")
  void refusesDecayOfOne() throws Exception {
    Result bad = run("train", config("bad", ", ema-decay: 1.0").toString());
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("ema-decay").contains("1.0");
  }
}
