package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
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
    // Words no text uses: a lower-casing tokenizer never yields "Zyx", and "e.g." is three tokens.
    glove.append("Zyx 8 7 6 5 4 3 2 1\nzyxwvut 1 2 3 4 5 6 7 8\ne.g. 1 1 1 1 1 1 1 1\nqwerty 0 1 0 1 0 1 0 1\nasdfgh 2 2 2 2 2 2 2 2\n");
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
    ParameterFile.Tensor table = ParameterFile.read(run.resolve("model/parameters/parameters.safetensors")).get("shared.embedding.weight");
    Map<String, float[]> out = new LinkedHashMap<>();
    for (String word : WORDS) {
      int id = vocabulary.indexOf(word);
      if (id < 0) {
        continue; // not in this sample's texts
      }
      out.put(word, Arrays.copyOfRange(table.values(), id * 8, id * 8 + 8));
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
    double types = event.get("vocabulary_covered").asDouble();
    double tokens = event.get("training_tokens_covered").asDouble();
    assertThat(types).isGreaterThan(0).isLessThan(0.02);   // 10 words of a vocabulary of thousands
    assertThat(tokens).isGreaterThan(types);              // but frequent ones: "the", "film", ...
  }

  @Test
  @DisplayName("scale: match starts the rows at the vectors scaled to the random start's root-mean-square value")
  void matchedScale() throws Exception {
    Path run = dir.resolve("matched");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + run, "--set", "model.word-vectors.scale=match");
    assertThat(r.code()).as(r.err()).isZero();
    Map<String, float[]> rows = rows(run);
    double sum = 0;
    int count = 0;
    for (String word : rows.keySet()) {
      for (float v : vectors.get(word)) {
        sum += (double) v * v;
        count++;
      }
    }
    double factor = ParameterLayout.EMBEDDING_RMS / Math.sqrt(sum / count);
    assertThat(EndToEndTest.lastLogEvent(run, "word-vectors").get("scale").asDouble()).isCloseTo(factor, within(1e-9));
    rows.forEach((word, row) -> {
      for (int j = 0; j < row.length; j++) {
        assertThat(row[j]).as("%s[%d]", word, j).isCloseTo((float) (vectors.get(word)[j] * factor), within(1e-6f));
      }
    });
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
  @DisplayName("extend-vocabulary adds the first vector words the tokenizer can yield, after the training vocabulary")
  void extendsVocabulary() throws Exception {
    Path run = dir.resolve("extended");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + run,
        "--set", "model.word-vectors.extend-vocabulary=3");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> vocabulary = Files.readAllLines(run.resolve("model/tokenizer/vocabulary.txt"));
    JsonNode event = EndToEndTest.lastLogEvent(run, "word-vectors");
    int added = event.get("vocabulary_added").asInt();
    assertThat(added).isEqualTo(3);
    List<String> training = vocabulary.subList(0, vocabulary.size() - added);
    // File order, skipping words the training texts have and the two the tokenizer cannot yield.
    List<String> expected = Stream.concat(WORDS.stream(), Stream.of("Zyx", "zyxwvut", "e.g.", "qwerty"))
        .filter(w -> !training.contains(w) && !w.equals("Zyx") && !w.equals("e.g.")).limit(3).toList();
    assertThat(expected).as("this sample leaves at most one of WORDS out, so the skips are exercised").contains("zyxwvut");
    assertThat(vocabulary.subList(training.size(), vocabulary.size())).isEqualTo(expected);
    ParameterFile.Tensor table = ParameterFile.read(run.resolve("model/parameters/parameters.safetensors")).get("shared.embedding.weight");
    int zyxwvut = vocabulary.indexOf("zyxwvut");
    assertThat(Arrays.copyOfRange(table.values(), zyxwvut * 8, zyxwvut * 8 + 8)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(event.get("vocabulary_covered").asDouble()).as("coverage of the training vocabulary, not of the added words")
        .isLessThan(0.02);
  }

  @Test
  @DisplayName("a size mismatch names the file and the fix")
  void sizeMismatch() {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("wide"),
        "--set", "model.embedding-size=16");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("vectors.txt").contains("8 values").contains("model.embedding-size: 8");
  }

  @Test
  @DisplayName("a missing vectors file is a config error that names the path and how to fetch the examples' vectors")
  void missingFile() {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("missing"),
        "--set", "model.word-vectors.file=nowhere/glove.txt.gz");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("model.word-vectors.file").contains("nowhere/glove.txt.gz").contains("bin/word-vectors");
  }
}
