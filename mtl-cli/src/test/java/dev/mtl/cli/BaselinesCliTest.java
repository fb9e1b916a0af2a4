package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselinesCliTest {
  @TempDir Path dir;

  private Path sample(String relative, int lines) throws Exception {
    return EndToEndTest.firstLines(relative, lines, dir.resolve(relative.replace('/', '-')));
  }

  @Test
  @DisplayName("--single-task stores baselines with the multi-task budget; a later run reports gains and Δm% against them")
  void baselinesThenComparison() throws Exception {
    Path config = Files.writeString(dir.resolve("run.yaml"), "seed: 2\noutput: run\ntasks:\n"
        + "  - {name: sst2, type: text-classification, labels: [neg, pos], label-encoding: index, train: "
        + sample("sentence-classic/stsa.binary.train", 320) + ", test: " + sample("sentence-classic/stsa.binary.test", 100) + "}\n"
        + "  - {name: trec, type: text-classification, labels: [DESC, ENTY, ABBR, HUM, LOC, NUM], label-encoding: index, train: "
        + sample("sentence-classic/TREC.train.all", 160) + ", test: " + sample("sentence-classic/TREC.test.all", 100) + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 16, encoder: cnn, hidden-size: 8}\n"
        + "training: {epochs: 2, batch-size: 16}\n");
    EndToEndTest.Result single = EndToEndTest.run("train", config.toString(), "--single-task", "--quiet");
    assertThat(single.code()).as(single.err()).isZero();
    assertThat(single.out()).contains("baselines (test)", "sst2", "trec", "baselines saved to " + dir.resolve("run/single-task/baselines.json"));
    ObjectMapper json = new ObjectMapper();
    // Same budget: trec (160 rows) trains as many steps alone as in the multi-task run (320 / 16 = 20 per epoch).
    JsonNode trecAlone = json.readTree(dir.resolve("run/single-task/trec/metrics.json").toFile());
    assertThat(trecAlone.get("epochs").get(0).get("steps").asInt()).isEqualTo(20);

    EndToEndTest.Result multi = EndToEndTest.run("train", config.toString(), "--set", "sharing.type=soft", "--quiet");
    assertThat(multi.code()).as(multi.err()).isZero();
    assertThat(multi.out()).contains("gain over single-task baselines", "Δm% = ");
    JsonNode report = json.readTree(dir.resolve("run/metrics.json").toFile());
    assertThat(report.get("baselines").get("tasks").fieldNames()).toIterable().containsExactly("sst2", "trec");
    assertThat(report.get("baselines").get("delta_m").isNumber()).isTrue();
  }
}
