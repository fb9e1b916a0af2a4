package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's parameters.safetensors, loaded into plain PyTorch by bench/safetensors_check.py, gives
 * mtl's scores on real texts. Runs where Debian's python3-torch is installed; skipped elsewhere.
 */
class SafeTensorsPythonTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path SCRIPT = Path.of("..", "bench", "safetensors_check.py").toAbsolutePath().normalize();

  @TempDir Path dir;

  private static boolean torchPresent() throws Exception {
    if (!Files.isExecutable(PYTHON)) {
      return false;
    }
    Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  @Test
  @DisplayName("parameters.safetensors read into plain PyTorch reproduces mtl's scores on real texts")
  void pythonReproducesScores() throws Exception {
    Assumptions.assumeTrue(torchPresent(), "needs /usr/bin/python3 with torch (apt-get install python3-torch)");
    Path train = EndToEndTest.firstLines("goemotions/ekman/train.tsv", 500, dir.resolve("train.tsv"));
    Path sst = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, dir.resolve("sst.txt"));
    Path config = Files.writeString(dir.resolve("py.yaml"), """
        name: py
        output: run
        tasks:
          - {name: ekman, type: text-classification, format: tsv, multi-label: true, label-encoding: index,
             labels: %s, train: %s}
          - {name: sst2, type: text-classification, labels: [negative, positive], label-encoding: index, train: %s}
        tokenizer: {type: words, min-frequency: 1, max-length: 40}
        model: {embedding-size: 16, encoder: cnn, hidden-size: 12}
        training: {epochs: 1, batch-size: 32}
        """.formatted(EndToEndTest.shared("goemotions/ekman/labels.txt"), train, sst));
    EndToEndTest.Result trained = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(trained.code()).as(trained.err()).isZero();
    Path model = dir.resolve("run/model");
    assertThat(model.resolve("parameters/parameters.safetensors")).isRegularFile();
    // Real Reddit comments: lengths beyond max-length (cut), unknown words, emoji with skin tones and
    // zero-width joiners, curly quotes, underscores: the script must tokenize as mtl does.
    List<String> texts = Files.readAllLines(EndToEndTest.shared("goemotions/original/test.tsv")).stream().limit(400)
        .map(l -> l.substring(0, l.indexOf('\t'))).toList();
    Path input = Files.write(dir.resolve("texts.txt"), texts, StandardCharsets.UTF_8);
    Path predictions = dir.resolve("predictions.jsonl");
    EndToEndTest.Result predicted = EndToEndTest.run("predict", model.toString(), "--input", input.toString(), "--output", predictions.toString());
    assertThat(predicted.code()).as(predicted.err()).isZero();

    Process check = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), model.toString(), predictions.toString())
        .redirectErrorStream(true).start();
    String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).as(output).isZero();
    JsonNode result = new ObjectMapper().readTree(output.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
    assertThat(result.get("texts").asInt()).isEqualTo(400);
    assertThat(result.get("max_abs_difference").asDouble()).isLessThan(1e-4);
  }
}
