package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `holdout` gives a task that ships one file (SUBJ) dev and test results. */
class HoldoutCliTest {
  @TempDir Path dir;

  @Test
  @DisplayName("SUBJ with holdout {dev: 0.1, test: 0.1} is evaluated on dev and test; a split given twice is refused")
  void subjGetsResults() throws Exception {
    Path subj = EndToEndTest.firstLines("sentence-classic/subj.all", 1500, dir.resolve("subj.txt"));
    String task = "  - {name: subj, type: text-classification, labels: [subjective, objective], label-encoding: index, train: " + subj;
    String rest = "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 16, encoder: mean}\n"
        + "training: {epochs: 1, batch-size: 32}\n";
    Path config = Files.writeString(dir.resolve("run.yaml"), "output: run\ntasks:\n" + task + ", holdout: {dev: 0.1, test: 0.1}}\n" + rest);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = new ObjectMapper().readTree(dir.resolve("run/metrics.json").toFile());
    assertThat(report.get("dev").get("subj").get("examples").asInt()).isBetween(110, 190);
    assertThat(report.get("test").get("subj").get("examples").asInt()).isBetween(110, 190);

    Path twice = Files.writeString(dir.resolve("twice.yaml"), "output: twice\ntasks:\n" + task + ", test: " + subj
        + ", holdout: {test: 0.1}}\n" + rest);
    EndToEndTest.Result refused = EndToEndTest.run("train", twice.toString());
    assertThat(refused.code()).isEqualTo(MtlCli.USAGE);
    assertThat(refused.err()).contains("`tasks[0].test`", "is given as a file and as `holdout.test`; keep one");
  }
}
