package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mtl affinity} on a real SST-2 sample as three tasks: SST-2 itself, an exact duplicate (same
 * rows, its own head), and SST-2 with its labels shuffled (same texts, labels unrelated to them).
 */
class AffinityCliTest {
  @TempDir static Path dir;

  @Test
  @DisplayName("a task's affinity with its duplicate is the largest, with shuffled labels near zero; the duplicate pair is grouped")
  void duplicateAndShuffled() throws Exception {
    Path sst2 = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 600, dir.resolve("sst2.txt"));
    List<String> lines = Files.readAllLines(sst2, StandardCharsets.ISO_8859_1);
    List<String> labels = new ArrayList<>(lines.stream().map(l -> l.substring(0, 1)).toList());
    Collections.shuffle(labels, new Random(1));
    List<String> shuffled = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      shuffled.add(labels.get(i) + lines.get(i).substring(1));
    }
    Path noise = Files.write(dir.resolve("shuffled.txt"), shuffled, StandardCharsets.ISO_8859_1);
    String task = """
          - name: %s
            type: text-classification
            format: label-text
            labels: [negative, positive]
            label-encoding: index
            train: %s
        """;
    String yaml = "name: affinity\nseed: 2\noutput: " + dir.resolve("out") + "\ntasks:\n"
        + task.formatted("sst2", sst2) + task.formatted("copy", sst2) + task.formatted("shuffled", noise) + """
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 32, encoder: mean, hidden-size: 32, dropout: 0}
        training: {batch-size: 32, learning-rate: 0.01}
        """;
    Path config = Files.writeString(dir.resolve("affinity.yaml"), yaml);
    EndToEndTest.Result r = EndToEndTest.run("affinity", config.toString(), "--steps", "60", "--every", "5");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("12 measurements over 60 steps").contains("lookahead affinity").contains("gradient cosine")
        .contains("suggested groupings");

    JsonNode json = new ObjectMapper().readTree(dir.resolve("out/affinity/affinity.json").toFile());
    JsonNode result = json.get("result");
    List<String> tasks = new ArrayList<>();
    result.get("tasks").forEach(t -> tasks.add(t.asText()));
    assertThat(tasks).containsExactly("sst2", "copy", "shuffled");
    JsonNode z = result.get("affinity");
    JsonNode cosine = result.get("cosine");
    double toCopy = z.get(0).get(1).asDouble();
    double toShuffled = z.get(0).get(2).asDouble();
    double fromShuffled = z.get(2).get(0).asDouble();
    assertThat(toCopy).as("a step on sst2 lowers its duplicate's loss").isPositive();
    assertThat(z.get(1).get(0).asDouble()).isPositive();
    // The duplicate gains as much as sst2 itself gains from its own step, and far more than the shuffled task.
    assertThat(toCopy).isGreaterThan(0.5 * z.get(0).get(0).asDouble());
    assertThat(Math.abs(toShuffled)).as("near zero next to the duplicate").isLessThan(0.2 * toCopy);
    assertThat(Math.abs(fromShuffled)).isLessThan(0.2 * toCopy);
    assertThat(cosine.get(0).get(1).asDouble()).as("duplicate gradients point the same way").isGreaterThan(0.5);
    assertThat(Math.abs(cosine.get(0).get(2).asDouble())).isLessThan(0.3);

    JsonNode twoGroups = json.get("groupings").get(1);
    assertThat(twoGroups.get("groups").toString()).isEqualTo("[[\"sst2\",\"copy\"],[\"shuffled\"]]");
    assertThat(Files.readString(dir.resolve("out/affinity/affinity.html"))).contains("<table>").contains("shuffled");

    // Trained into the same directory, the run's report shows the affinity heat maps too.
    assertThat(EndToEndTest.run("train", config.toString(), "--set", "training.epochs=1", "--quiet").code()).isZero();
    EndToEndTest.Result report = EndToEndTest.run("report", dir.resolve("out").toString());
    assertThat(report.code()).as(report.err()).isZero();
    assertThat(Files.readString(dir.resolve("out/report.html"))).contains("<h2>Task affinity</h2>").contains("Suggested groupings")
        .contains("[[\"sst2\",\"copy\"],[\"shuffled\"]]");
  }
}
