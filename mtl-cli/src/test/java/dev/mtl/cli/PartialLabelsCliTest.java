package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One JSONL corpus, two tasks, the second labelled on only some rows. */
class PartialLabelsCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  /** SST-2 sentences with their sentiment; a length label ("short" under 12 words) on every other row only. */
  private Path corpus(String file, int lines) throws Exception {
    Path sst = EndToEndTest.firstLines(file, lines, dir.resolve(file.replace('/', '-') + ".txt"));
    List<String> out = new ArrayList<>();
    int i = 0;
    for (String line : Files.readAllLines(sst)) {
      String text = line.substring(2);
      ObjectNode row = JSON.createObjectNode().put("text", text).put("sentiment", line.substring(0, 1));
      if (i++ % 2 == 0) {
        row.put("length", text.split(" ").length < 12 ? "short" : "long");
      }
      out.add(row.toString());
    }
    return Files.write(dir.resolve(file.replace('/', '-') + ".jsonl"), out);
  }

  @Test
  @DisplayName("rows without a task's label train the other task, are counted, and stay out of that task's metrics")
  void masksMissingLabels() throws Exception {
    Path train = corpus("sentence-classic/stsa.binary.train", 400);
    Path test = corpus("sentence-classic/stsa.binary.test", 101);
    String tasks = "tasks:\n"
        + "  - {name: sentiment, type: text-classification, format: jsonl, label-field: sentiment, train: " + train + ", test: " + test + "}\n"
        + "  - {name: length, type: text-classification, format: jsonl, label-field: length, labels: [short, long], %s"
        + "train: " + train + ", test: " + test + "}\n";
    Path strict = Files.writeString(dir.resolve("strict.yaml"), String.format(tasks, "") + "output: strict\n");
    EndToEndTest.Result refused = EndToEndTest.run("train", strict.toString());
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains(train + ":2: has no label", "set `unlabelled-rows: mask`");

    Path config = Files.writeString(dir.resolve("run.yaml"), String.format(tasks, "unlabelled-rows: mask, ")
        + "output: run\ntokenizer: {type: words, min-frequency: 1}\nmodel: {embedding-size: 16, encoder: mean, hidden-size: 8}\n"
        + "training: {epochs: 2, batch-size: 16}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).as(r.err()).isZero();
    // The start table counts labelled rows: 400 and 200 in train, 101 and 51 in test.
    assertThat(r.err()).containsPattern("sentiment\\s+text-classification\\s+2\\s+400\\s+0\\s+101")
        .containsPattern("length\\s+text-classification\\s+2\\s+200\\s+0\\s+51");
    JsonNode report = JSON.readTree(dir.resolve("run/metrics.json").toFile());
    assertThat(report.get("test").get("sentiment").get("examples").asInt()).isEqualTo(101);
    assertThat(report.get("test").get("length").get("examples").asInt()).isEqualTo(51);
  }
}
