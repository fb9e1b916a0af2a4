package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtl.core.engine.ParameterFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Word vectors (a small GloVe file made here, for words of a real SST-2 sample) start the token
 * embeddings: frozen, the saved table's rows are exactly the vectors; fine-tuned, they move; the
 * training log reports coverage; a size mismatch names the file and the fix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WordVectorsCliTest {
  private static final List<String> WORDS = List.of("the", "film", "good", "bad", "movie", "funny", "boring", "story", "not", "best");

  @TempDir static Path dir;
  private Path config;
  private final Map<String, float[]> vectors = new LinkedHashMap<>();

  @BeforeAll
  void write() throws Exception {
    StringBuilder glove = new StringBuilder();
    for (int w = 0; w < WORDS.size(); w++) {
      float[] v = new float[8];
      glove.append(WORDS.get(w));
      for (int j = 0; j < v.length; j++) {
        v[j] = (float) Math.sin(w * 8 + j) / 2;
        glove.append(' ').append(v[j]);
      }
      glove.append('\n');
      vectors.put(WORDS.get(w), v);
    }
    glove.append("zyxwvut 1 2 3 4 5 6 7 8\n"); // a word no text uses
    Path file = Files.writeString(dir.resolve("vectors.txt"), glove.toString());
    String yaml = """
        name: words
        seed: 4
        tasks:
          - name: sst2
            type: text-classification
            format: label-text
            labels: [negative, positive]
            label-encoding: index
            train: %s
            test: %s
        tokenizer: {type: words, min-frequency: 1}
        model:
          embedding-size: 8
          encoder: mean
          dropout: 0
          word-vectors: {file: %s, train: frozen}
        training: {epochs: 1, batch-size: 16, learning-rate: 0.01}
        """.formatted(EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 300, dir.resolve("train.txt")),
        EndToEndTest.firstLines("sentence-classic/stsa.binary.test", 100, dir.resolve("test.txt")), file);
    config = Files.writeString(dir.resolve("run.yaml"), yaml);
  }

  private Map<String, float[]> rows(Path run) throws Exception {
    List<String> vocabulary = Files.readAllLines(run.resolve("model/tokenizer/vocabulary.txt"));
    ParameterFile.Tensor table = ParameterFile.read(run.resolve("model/parameters/parameters.bin")).get("shared.embedding.weight");
    Map<String, float[]> out = new LinkedHashMap<>();
    for (String word : WORDS) {
      int id = vocabulary.indexOf(word);
      if (id < 0) {
        continue; // not in this sample's texts
      }
      out.put(word, java.util.Arrays.copyOfRange(table.values(), id * 8, id * 8 + 8));
    }
    assertThat(out).as("vector words in the vocabulary").hasSizeGreaterThan(6);
    return out;
  }

  @Test
  @DisplayName("frozen: the saved embedding rows are the vectors, and the log reports coverage")
  void frozenRowsEqualVectors() throws Exception {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("frozen"));
    assertThat(r.code()).as(r.err()).isZero();
    rows(dir.resolve("frozen")).forEach((word, row) -> assertThat(row).as(word).containsExactly(vectors.get(word)));
    JsonNode event = EndToEndTest.lastLogEvent(dir.resolve("frozen"), "word-vectors");
    assertThat(event.get("dimension").asInt()).isEqualTo(8);
    double types = event.get("vocabulary-covered").asDouble();
    double tokens = event.get("training-tokens-covered").asDouble();
    assertThat(types).isGreaterThan(0).isLessThan(0.02);   // 10 words of a vocabulary of thousands
    assertThat(tokens).isGreaterThan(types);              // but frequent ones: "the", "film", ...
  }

  @Test
  @DisplayName("fine-tuned: the rows start at the vectors and move")
  void fineTunedRowsMove() throws Exception {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("tuned"),
        "--set", "model.word-vectors.train=fine-tune");
    assertThat(r.code()).as(r.err()).isZero();
    float[] the = rows(dir.resolve("tuned")).get("the");
    assertThat(the).isNotEqualTo(vectors.get("the"));
    double distance = 0;
    for (int j = 0; j < 8; j++) {
      distance += Math.abs(the[j] - vectors.get("the")[j]);
    }
    assertThat(distance).as("moved, but from the vector, not from a random start").isLessThan(1.0);
  }

  @Test
  @DisplayName("a size mismatch names the file and the fix")
  void sizeMismatch() {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("wide"),
        "--set", "model.embedding-size=16");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("vectors.txt").contains("8 values").contains("model.embedding-size: 8");
  }
}
