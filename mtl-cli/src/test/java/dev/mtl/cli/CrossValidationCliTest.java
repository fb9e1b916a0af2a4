package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mtl cv} on real SST-2 and TREC samples: folds, settings, the report and the retrained model. */
class CrossValidationCliTest {
  @TempDir static Path dir;

  /** SST-2 and TREC samples, one epoch of a small model. */
  private static Path config() throws Exception {
    String yaml = """
        name: cv
        seed: 3
        output: %s
        tasks:
          - name: sst2
            type: text-classification
            format: label-text
            labels: [negative, positive]
            label-encoding: index
            train: %s
          - name: trec
            type: text-classification
            format: label-text
            labels: [DESC, ENTY, ABBR, HUM, LOC, NUM]
            label-encoding: index
            train: %s
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 16, encoder: mean, hidden-size: 16, dropout: 0}
        training: {epochs: 1, batch-size: 32, learning-rate: 0.01}
        """.formatted(dir.resolve("out"),
        EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 240, dir.resolve("sst2.txt")),
        EndToEndTest.firstLines("sentence-classic/TREC.train.all", 180, dir.resolve("trec.txt")));
    return Files.writeString(dir.resolve("cv.yaml"), yaml);
  }

  @Test
  @DisplayName("cv trains every setting on every fold, summarises mean ± std and Δm%, names the best and retrains it")
  void crossValidates() throws Exception {
    Path config = config();
    EndToEndTest.Result r = EndToEndTest.run("cv", config.toString(), "--folds", "3", "--try", "model.hidden-size=32; training.learning-rate=0.02",
        "--retrain", "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("3-fold cross-validation").contains("setting: as configured")
        .contains("setting: model.hidden-size=32,training.learning-rate=0.02").contains("Δm%").contains("best: ");

    JsonNode report = new ObjectMapper().readTree(dir.resolve("out/cv/report.json").toFile());
    assertThat(report.get("folds").asInt()).isEqualTo(3);
    int sst2 = 0;
    int trec = 0;
    for (JsonNode sizes : report.get("fold_sizes")) {
      sst2 += sizes.get("sst2").asInt();
      trec += sizes.get("trec").asInt();
      assertThat(sizes.get("sst2").asInt()).as("a third of the rows each").isBetween(70, 90);
    }
    assertThat(sst2).as("every row tested once").isEqualTo(240);
    assertThat(trec).isEqualTo(180);
    JsonNode settings = report.get("settings");
    assertThat(settings).hasSize(2);
    // The first setting is the Δm reference on every fold.
    settings.get(0).get("fold_delta_m").forEach(d -> assertThat(d.asDouble()).isZero());
    // Summaries are the folds' own numbers: the mean of the three fold accuracies.
    for (JsonNode setting : settings) {
      List<Double> accuracies = new ArrayList<>();
      setting.get("fold_test").forEach(fold -> accuracies.add(fold.get("sst2").get("values").get("accuracy").asDouble()));
      assertThat(accuracies).hasSize(3);
      double mean = accuracies.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
      assertThat(setting.get("metrics").get("sst2").get("accuracy").get("mean").asDouble()).isCloseTo(mean, Offset.offset(1e-9));
      assertThat(setting.get("metrics").get("sst2").get("accuracy").get("std").asDouble()).isPositive();
    }
    String best = report.get("best").asText();
    double bestDelta = settings.get(0).get("delta_m").get("mean").asDouble();
    for (JsonNode setting : settings) {
      bestDelta = Math.max(bestDelta, setting.get("delta_m").get("mean").asDouble());
    }
    for (JsonNode setting : settings) {
      if (setting.get("setting").get("name").asText().equals(best)) {
        assertThat(setting.get("delta_m").get("mean").asDouble()).isEqualTo(bestDelta);
      }
    }
    for (String s : List.of("1-as_configured", "2-model.hidden-size=32_training.learning-rate=0.02")) {
      for (int f = 1; f <= 3; f++) {
        assertThat(dir.resolve("out/cv/" + s + "/fold-" + f + "/metrics.json")).exists();
      }
    }
    assertThat(dir.resolve("out/cv/final/model/mtl-model.json")).exists();
    String finalConfig = Files.readString(dir.resolve("out/cv/final/config.yaml"));
    assertThat(finalConfig).contains(best.startsWith("model.hidden-size") ? "hidden-size: 32" : "hidden-size: 16");
  }

  @Test
  @DisplayName("a --grid or --try that is not KEY=VALUE, or makes an invalid config, fails before any training")
  void badSetting() throws Exception {
    EndToEndTest.Result r = EndToEndTest.run("cv", dir.resolve("none.yaml").toString(), "--grid", "sharing.type");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'sharing.type' is not KEY=VALUE");
    Path out = dir.resolve("bad");
    EndToEndTest.Result invalid = EndToEndTest.run("cv", config().toString(), "--set", "output=" + out, "--try", "sharing.type=nonesuch");
    assertThat(invalid.code()).isEqualTo(2);
    assertThat(invalid.err()).contains("nonesuch");
    assertThat(out.resolve("cv")).as("nothing trained").doesNotExist();
  }
}
