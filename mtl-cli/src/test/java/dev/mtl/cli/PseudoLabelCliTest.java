package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.data.TextLines;
import dev.mtl.core.task.TaskPrediction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Self- and co-training on real samples: SST-2 with 160 labelled rows and 500 more whose labels are
 * hidden from training (the unlabelled file is in the task's format, so the picks can be scored),
 * beside TREC.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PseudoLabelCliTest {
  @TempDir static Path dir;
  private Path config;
  private List<String> unlabelledTexts;
  private List<Integer> unlabelledGold;
  private int alreadyLabelled;
  private int repeated;

  @BeforeAll
  void write() throws Exception {
    Path all = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 660, dir.resolve("sst2-all.txt"));
    List<String> lines = Files.readAllLines(all, StandardCharsets.ISO_8859_1);
    Files.write(dir.resolve("sst2-gold.txt"), lines.subList(0, 160), StandardCharsets.ISO_8859_1);
    // The hidden rows, plus a gold row (keeps its gold label) and a repeat of a hidden row (labelled once).
    List<String> hiddenLines = new ArrayList<>(lines.subList(160, 660));
    hiddenLines.add(lines.get(3));
    hiddenLines.add(lines.get(200));
    Files.write(dir.resolve("sst2-hidden.txt"), hiddenLines, StandardCharsets.ISO_8859_1);
    // The texts the run can label: decoded as the reader decodes them (UTF-8, else Windows-1252 per
    // line), without gold texts, each once.
    Set<String> goldTexts = new HashSet<>();
    for (TextLines.Line line : TextLines.read(dir.resolve("sst2-gold.txt"))) {
      goldTexts.add(line.text().substring(2));
    }
    unlabelledTexts = new ArrayList<>();
    unlabelledGold = new ArrayList<>();
    for (TextLines.Line line : TextLines.read(dir.resolve("sst2-hidden.txt"))) {
      String text = line.text().substring(2);
      if (goldTexts.contains(text)) {
        alreadyLabelled++;
      } else if (unlabelledTexts.contains(text)) {
        repeated++;
      } else {
        unlabelledGold.add(Integer.parseInt(line.text().substring(0, 1)));
        unlabelledTexts.add(text);
      }
    }
    String yaml = """
        name: pseudo
        seed: 5
        tasks:
          - name: sst2
            type: text-classification
            format: label-text
            labels: [negative, positive]
            label-encoding: index
            train: %s
            test: %s
            unlabeled: {file: %s, format: task}
          - name: trec
            type: text-classification
            format: label-text
            labels: [DESC, ENTY, ABBR, HUM, LOC, NUM]
            label-encoding: index
            train: %s
        pseudo-labels: {rounds: 2, confidence: 0.6, max-per-class: 40, weight: 0.5}
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 16, encoder: mean, hidden-size: 16, dropout: 0}
        training: {epochs: 3, batch-size: 16, learning-rate: 0.02}
        """.formatted(dir.resolve("sst2-gold.txt"), EndToEndTest.firstLines("sentence-classic/stsa.binary.test", 200, dir.resolve("sst2-test.txt")),
        dir.resolve("sst2-hidden.txt"), EndToEndTest.firstLines("sentence-classic/TREC.train.all", 200, dir.resolve("trec.txt")));
    config = Files.writeString(dir.resolve("pseudo.yaml"), yaml);
  }

  /** The picks a model should make from the texts not yet taken: confidence >= 0.6, 40 per class, most confident first. */
  private Map<Integer, String> expectedPicks(Path model, Set<Integer> taken) throws Exception {
    Map<Integer, String> out = new HashMap<>();
    Map<String, List<double[]>> byClass = new HashMap<>();
    try (MultiTaskModel m = MultiTaskModel.load(model)) {
      List<Integer> open = new ArrayList<>();
      for (int i = 0; i < unlabelledTexts.size(); i++) {
        if (!taken.contains(i)) {
          open.add(i);
        }
      }
      List<Map<String, TaskPrediction>> predictions = m.predict(open.stream().map(unlabelledTexts::get).toList());
      for (int k = 0; k < open.size(); k++) {
        TaskPrediction p = predictions.get(k).get("sst2");
        String label = p.labels().get(0);
        double confidence = p.scores().get(label);
        if ((float) confidence >= 0.6f) {
          byClass.computeIfAbsent(label, l -> new ArrayList<>()).add(new double[] {open.get(k), confidence});
        }
      }
    }
    byClass.forEach((label, list) -> {
      list.sort((a, b) -> a[1] != b[1] ? Double.compare(b[1], a[1]) : Double.compare(a[0], b[0]));
      list.subList(0, Math.min(40, list.size())).forEach(row -> out.put((int) row[0], label));
    });
    return out;
  }

  /** A round's picks by index into {@link #unlabelledTexts}. */
  private Map<Integer, String> picks(Path tsv) throws Exception {
    Map<Integer, String> out = new HashMap<>();
    List<String> lines = Files.readAllLines(tsv);
    assertThat(lines.get(0)).isEqualTo("label\tconfidence\ttext");
    for (String line : lines.subList(1, lines.size())) {
      String[] parts = line.split("\t", 3);
      int index = unlabelledTexts.indexOf(parts[2]);
      assertThat(index).as("picked text '%s' is an unlabelled text", parts[2]).isNotNegative();
      out.put(index, parts[0]);
    }
    return out;
  }

  @Test
  @DisplayName("self-training: each round adds exactly the model's confident predictions, capped per class, scored against the hidden labels")
  void selfTraining() throws Exception {
    Path out = dir.resolve("self");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + out, "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = new ObjectMapper().readTree(out.resolve("pseudo-labels.json").toFile());
    assertThat(report.get("unlabeled_texts").get("sst2").asInt()).isEqualTo(unlabelledTexts.size());
    assertThat(alreadyLabelled).isPositive();
    assertThat(repeated).isPositive();
    assertThat(report.get("left_out").get("sst2").get("already_labelled").asInt()).isEqualTo(alreadyLabelled);
    assertThat(report.get("left_out").get("sst2").get("repeated").asInt()).isEqualTo(repeated);
    JsonNode rounds = report.get("rounds");
    assertThat(rounds.size()).as(report.get("stopped").asText()).isEqualTo(3);

    Set<Integer> taken = new HashSet<>();
    for (int round = 1; round <= 2; round++) {
      Map<Integer, String> expected = expectedPicks(out.resolve("round-" + (round - 1) + "/model"), taken);
      Map<Integer, String> actual = picks(out.resolve("pseudo-labelled/main/round-" + round + "/sst2.tsv"));
      assertThat(actual).as("round %d", round).isEqualTo(expected);
      assertThat(actual.keySet()).as("a text is labelled once").noneMatch(taken::contains);
      taken.addAll(actual.keySet());
      JsonNode sst2 = rounds.get(round).get("views").get(0).get("pseudo_labels").get("sst2");
      assertThat(sst2.get("added").asInt()).isEqualTo(actual.size()).isPositive();
      assertThat(sst2.get("total").asInt()).isEqualTo(taken.size());
      sst2.get("added_per_class").forEach(n -> assertThat(n.asInt()).isLessThanOrEqualTo(40));
      long right = actual.entrySet().stream()
          .filter(e -> e.getValue().equals(unlabelledGold.get(e.getKey()) == 1 ? "positive" : "negative")).count();
      assertThat(sst2.get("added_accuracy").asDouble()).isEqualTo(right / (double) actual.size());
      // The round's run trained on the gold rows plus every pseudo-labelled row so far.
      String log = Files.readString(out.resolve("round-" + round + "/training-log.jsonl"));
      assertThat(log).isNotEmpty();
    }
    assertThat(r.out()).contains("round 2: sst2 +").contains("model saved to " + out.resolve("round-2/model"));
  }

  @Test
  @DisplayName("co-training: each model's picks feed the other model's next round")
  void coTraining() throws Exception {
    Path out = dir.resolve("co");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + out, "--set", "pseudo-labels.rounds=1",
        "--set", "pseudo-labels.method=co-training", "--set", "pseudo-labels.second-view=[model.encoder=cnn]", "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(out.resolve("second-view/round-0/config.yaml"))).contains("encoder: \"cnn\"");
    assertThat(picks(out.resolve("pseudo-labelled/main/round-1/sst2.tsv")))
        .as("the main model's set is fed by the second view").isEqualTo(expectedPicks(out.resolve("second-view/round-0/model"), Set.of()));
    assertThat(picks(out.resolve("pseudo-labelled/second-view/round-1/sst2.tsv")))
        .isEqualTo(expectedPicks(out.resolve("round-0/model"), Set.of()));
    assertThat(out.resolve("round-1/model")).exists();
    assertThat(out.resolve("second-view/round-1/model")).exists();
  }

  @Test
  @DisplayName("from-train hides a seeded share of the training labels: those texts become the pool, their labels score the picks")
  void fromTrain() throws Exception {
    String yaml = Files.readString(config).replaceFirst("unlabeled: \\{file: [^}]*\\}", "unlabeled: {from-train: 0.75}");
    Path hidden = Files.writeString(dir.resolve("from-train.yaml"), yaml);
    Path out = dir.resolve("from-train");
    EndToEndTest.Result r = EndToEndTest.run("train", hidden.toString(), "--set", "output=" + out, "--set", "pseudo-labels.rounds=1", "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode report = new ObjectMapper().readTree(out.resolve("pseudo-labels.json").toFile());
    assertThat(report.get("unlabeled_texts").get("sst2").asInt()).isEqualTo(120); // 75% of 160
    JsonNode sst2 = report.get("rounds").get(1).get("views").get(0).get("pseudo_labels").get("sst2");
    assertThat(sst2.get("added").asInt()).isPositive();
    assertThat(sst2.get("added_accuracy").isNumber()).as("the hidden labels score the picks").isTrue();
    List<String> gold = new ArrayList<>();
    for (TextLines.Line line : TextLines.read(dir.resolve("sst2-gold.txt"))) {
      gold.add(line.text().substring(2));
    }
    List<String> picked = Files.readAllLines(out.resolve("pseudo-labelled/main/round-1/sst2.tsv")).stream().skip(1)
        .map(l -> l.split("\t", 3)[2]).toList();
    assertThat(gold).as("picks come from the training texts").containsAll(picked);
  }

  @Test
  @DisplayName("multi-label: each pick is a label set whose every decision is sure, scored against the hidden label sets")
  void multiLabel() throws Exception {
    Path multi = Files.writeString(dir.resolve("multi.yaml"), Files.readString(config)
        .replaceFirst("labels: \\[negative, positive\\]", "labels: [negative, positive]\n    multi-label: true"));
    Path out = dir.resolve("multi");
    EndToEndTest.Result r = EndToEndTest.run("train", multi.toString(), "--set", "output=" + out, "--set", "pseudo-labels.rounds=1",
        "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(out.resolve("pseudo-labelled/main/round-1/sst2.tsv"));
    assertThat(lines).hasSizeGreaterThan(1);
    int right = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] parts = line.split("\t", 3);
      assertThat(parts[0]).isIn("negative", "positive", "negative,positive");
      assertThat(Double.parseDouble(parts[1])).isGreaterThanOrEqualTo(0.6 - 1e-6);
      int index = unlabelledTexts.indexOf(parts[2]);
      right += parts[0].equals(unlabelledGold.get(index) == 1 ? "positive" : "negative") ? 1 : 0;
    }
    JsonNode sst2 = new ObjectMapper().readTree(out.resolve("pseudo-labels.json").toFile())
        .get("rounds").get(1).get("views").get(0).get("pseudo_labels").get("sst2");
    assertThat(sst2.get("added").asInt()).isEqualTo(lines.size() - 1);
    assertThat(sst2.get("added_accuracy").asDouble()).as("exact label-set matches").isEqualTo(right / (double) (lines.size() - 1));
  }

  @Test
  @DisplayName("unlabelled texts without a pseudo-labels section, or a bad second view, are refused naming the fix")
  void refusals() throws Exception {
    String yaml = Files.readString(config);
    Path without = Files.writeString(dir.resolve("without.yaml"), yaml.replaceFirst("pseudo-labels: .*\n", ""));
    EndToEndTest.Result r2 = EndToEndTest.run("train", without.toString(), "--set", "output=" + dir.resolve("y"));
    assertThat(r2.code()).isNotZero();
    assertThat(r2.err()).contains("pseudo-labels").contains("names unlabelled texts").contains("remove unlabeled");
    // A second view that makes an invalid config fails before the first model trains.
    EndToEndTest.Result r3 = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("z"),
        "--set", "pseudo-labels.method=co-training", "--set", "pseudo-labels.second-view=[sharing.type=nonesuch]");
    assertThat(r3.code()).isEqualTo(2);
    assertThat(r3.err()).contains("nonesuch");
    assertThat(dir.resolve("z/round-0")).doesNotExist();
  }
}
