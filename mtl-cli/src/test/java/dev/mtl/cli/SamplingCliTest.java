package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every built-in sampler trains two real datasets of different sizes from one config line. */
class SamplingCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"all", "round-robin", "proportional", "temperature", "uniform", "annealed"})
  @DisplayName("trains from `sampling: <name>`; one-source samplers train one dataset per step")
  void trainsWithEachSampler(String sampler) throws Exception {
    Path sst2 = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 300, dir.resolve("sst2.txt"));
    Path trec = EndToEndTest.firstLines("sentence-classic/TREC.train.all", 120, dir.resolve("trec.txt"));
    Path config = Files.writeString(dir.resolve("run.yaml"), "output: run\nseed: 1\ntasks:\n"
        + "  - {name: sst2, type: text-classification, train: " + sst2 + "}\n"
        + "  - {name: trec, type: text-classification, train: " + trec + "}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 16, encoder: mean, hidden-size: 8}\n"
        + "sampling: " + sampler + "\n"
        + "training: {epochs: 1, batch-size: 16, log-every: 1}\n");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> log = Files.readAllLines(dir.resolve("run/training-log.jsonl"));
    Set<Set<String>> trainedTogether = new HashSet<>();
    int steps = 0;
    for (String line : log) {
      JsonNode event = JSON.readTree(line);
      if (event.get("event").asText().equals("step")) {
        Set<String> tasks = new HashSet<>();
        event.get("losses").fieldNames().forEachRemaining(tasks::add);
        trainedTogether.add(tasks);
        steps++;
      }
    }
    if (sampler.equals("all")) {
      // One pass over the larger dataset: ceil(300 / 16) steps, both tasks every step.
      assertThat(steps).isEqualTo(19);
      assertThat(trainedTogether).containsExactly(Set.of("sst2", "trec"));
    } else {
      // One pass over both datasets, one per step: ceil(300 / 16) + ceil(120 / 16) steps.
      assertThat(steps).isEqualTo(27);
      assertThat(trainedTogether).containsExactlyInAnyOrder(Set.of("sst2"), Set.of("trec"));
    }
  }
}
