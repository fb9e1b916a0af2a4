package dev.mtl.core.assembly;

import dev.mtl.core.data.DataException;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.WordVectorSettings;
import dev.mtl.core.text.WordVectors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Word vectors matched to a run's vocabulary: they start every token embedding table that is not
 * a private delta on another ({@link Layer#base()}), frozen or fine-tuned as configured.
 *
 * @param encoder the run's encoder, its vocabulary extended from the vectors when asked
 * @param added words the vectors added to the training vocabulary
 */
public record PretrainedWords(WordVectorSettings settings, WordVectors vectors, TextEncoder encoder, int added) {

  /**
   * Share of the training vocabulary (without padding, unknown and added words) and of training
   * token occurrences that have a vector.
   */
  public record Coverage(double types, double tokens) {}

  /**
   * Reads the vectors of the encoder's vocabulary and, up to {@code extend-vocabulary}, of the
   * first words in the file that the tokenizer can yield but the vocabulary lacks.
   */
  static PretrainedWords load(WordVectorSettings settings, TextEncoder encoder, int embeddingSize) throws IOException {
    List<String> tokens = encoder.tokens();
    if (tokens.isEmpty()) {
      throw new IllegalStateException("model.word-vectors needs a tokenizer with a word vocabulary (tokenizer: words); this one has none");
    }
    Set<String> vocabulary = new HashSet<>(tokens);
    List<String> extra = new ArrayList<>();
    WordVectors vectors = WordVectors.read(settings.file(), word -> {
      if (vocabulary.contains(word)) {
        return true;
      }
      if (extra.size() < settings.extendVocabulary() && encoder.yieldsToken(word)) {
        extra.add(word);
        vocabulary.add(word);
        return true;
      }
      return false;
    });
    if (vectors.dimension() != embeddingSize) {
      throw new DataException(settings.file() + ": the vectors have " + vectors.dimension() + " values but model.embedding-size is "
          + embeddingSize + "; set model.embedding-size: " + vectors.dimension());
    }
    return new PretrainedWords(settings, vectors, extra.isEmpty() ? encoder : encoder.withTokens(extra), extra.size());
  }

  /** The graph with the embedding tables frozen when the vectors are to stay as they are. */
  ModelGraph freezeIfAsked(ModelGraph graph) {
    if (!settings.frozen()) {
      return graph;
    }
    Set<String> frozen = new HashSet<>(graph.frozen());
    frozen.addAll(tables(graph));
    return graph.withFrozen(frozen);
  }

  private static List<String> tables(ModelGraph graph) {
    return graph.layers().stream().filter(l -> l instanceof Layer.Embedding && l.base().isEmpty()).map(Layer::id).toList();
  }

  /**
   * What the vectors are multiplied by before they start the embedding: 1 as they are; with {@code
   * scale: match}, the factor that gives the vocabulary's vectors the root-mean-square value of the
   * embedding's random start, so words with and without a vector start on one scale (GloVe's values
   * are about four times larger).
   */
  public double scale() {
    if (!settings.matchScale()) {
      return 1;
    }
    double sum = 0;
    long count = 0;
    for (String token : encoder.tokens()) {
      float[] vector = vectors.vectors().get(token);
      if (vector != null) {
        for (float v : vector) {
          sum += (double) v * v;
        }
        count += vector.length;
      }
    }
    double rms = count == 0 ? 0 : Math.sqrt(sum / count);
    return rms == 0 ? 1 : ParameterLayout.EMBEDDING_RMS / rms;
  }

  /** Writes the vectors (times {@link #scale()}) into the rows of the words that have one; the others keep their random start. */
  void apply(Network network, ModelGraph graph) {
    List<String> tokens = encoder.tokens();
    int[] ids = IntStream.range(0, tokens.size()).filter(id -> vectors.vectors().containsKey(tokens.get(id))).toArray();
    float factor = (float) scale();
    float[][] rows = Arrays.stream(ids).mapToObj(id -> {
      float[] row = vectors.vectors().get(tokens.get(id)).clone();
      for (int j = 0; j < row.length; j++) {
        row[j] *= factor;
      }
      return row;
    }).toArray(float[][]::new);
    for (String table : tables(graph)) {
      network.setEmbeddingRows(table, ids, rows);
    }
  }

  public Coverage coverage(List<DataSource> training) {
    List<String> tokens = encoder.tokens();
    long covered = 0;
    long all = 0;
    boolean[] has = new boolean[tokens.size()];
    int trainingVocabulary = tokens.size() - added;
    int types = 0;
    // Ids 0 and 1 are padding and unknown in every word vocabulary; added words come last.
    for (int id = 2; id < tokens.size(); id++) {
      has[id] = vectors.vectors().containsKey(tokens.get(id));
      types += has[id] && id < trainingVocabulary ? 1 : 0;
    }
    for (DataSource source : training) {
      for (int[] row : source.tokens()) {
        for (int id : row) {
          all++;
          covered += id < has.length && has[id] ? 1 : 0;
        }
      }
    }
    return new Coverage(Math.round(10000.0 * types / Math.max(1, trainingVocabulary - 2)) / 10000.0,
        Math.round(10000.0 * covered / Math.max(1, all)) / 10000.0);
  }
}
