package dev.mtl.core.training;

import dev.mtl.core.data.DataException;
import dev.mtl.core.engine.Network;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.WordVectorSettings;
import dev.mtl.core.text.WordVectors;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Word vectors matched to a run's vocabulary: they start every token embedding table that is not
 * a private delta on another ({@link Layer#base()}), frozen or fine-tuned as configured.
 */
record PretrainedWords(WordVectorSettings settings, WordVectors vectors, List<String> tokens, ModelGraph graph) {

  /** Share of the vocabulary (without padding and unknown) and of training token occurrences that have a vector. */
  record Coverage(double types, double tokens) {}

  static PretrainedWords load(WordVectorSettings settings, TextEncoder encoder, ModelSpec spec, ModelGraph graph) throws IOException {
    List<String> tokens = encoder.tokens();
    if (tokens.isEmpty()) {
      throw new IllegalStateException("model.word-vectors needs a tokenizer with a word vocabulary (tokenizer: words); this one has none");
    }
    WordVectors vectors = WordVectors.read(settings.file(), new HashSet<>(tokens));
    if (vectors.dimension() != spec.embeddingSize()) {
      throw new DataException(settings.file() + ": the vectors have " + vectors.dimension() + " values but model.embedding-size is "
          + spec.embeddingSize() + "; set model.embedding-size: " + vectors.dimension());
    }
    List<String> tables = tables(graph);
    if (settings.frozen()) {
      Set<String> frozen = new HashSet<>(graph.frozen());
      frozen.addAll(tables);
      graph = new ModelGraph(graph.layers(), graph.heads(), graph.penalties(), frozen);
    }
    return new PretrainedWords(settings, vectors, tokens, graph);
  }

  private static List<String> tables(ModelGraph graph) {
    return graph.layers().stream().filter(l -> l instanceof Layer.Embedding && l.base().isEmpty()).map(Layer::id).toList();
  }

  /** Writes the vectors into the rows of the words that have one; the others keep their random start. */
  void apply(Network network) {
    int[] ids = java.util.stream.IntStream.range(0, tokens.size()).filter(id -> vectors.vectors().containsKey(tokens.get(id))).toArray();
    float[][] rows = java.util.Arrays.stream(ids).mapToObj(id -> vectors.vectors().get(tokens.get(id))).toArray(float[][]::new);
    for (String table : tables(graph)) {
      network.setEmbeddingRows(table, ids, rows);
    }
  }

  Coverage coverage(List<DataSource> training) {
    long covered = 0;
    long all = 0;
    boolean[] has = new boolean[tokens.size()];
    int types = 0;
    // Ids 0 and 1 are padding and unknown in every word vocabulary.
    for (int id = 2; id < tokens.size(); id++) {
      has[id] = vectors.vectors().containsKey(tokens.get(id));
      types += has[id] ? 1 : 0;
    }
    for (DataSource source : training) {
      for (int[] row : source.tokens()) {
        for (int id : row) {
          all++;
          covered += id < has.length && has[id] ? 1 : 0;
        }
      }
    }
    return new Coverage(Math.round(10000.0 * types / Math.max(1, tokens.size() - 2)) / 10000.0,
        Math.round(10000.0 * covered / Math.max(1, all)) / 10000.0);
  }
}
