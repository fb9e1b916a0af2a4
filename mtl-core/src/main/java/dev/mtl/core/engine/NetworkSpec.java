package dev.mtl.core.engine;

import dev.mtl.core.model.ModelGraph;
import java.util.Objects;

/**
 * What network an engine builds: a model graph over a token vocabulary.
 *
 * @param vocabularySize rows of the graph's embeddings
 * @param paddingId the token id that pads sequences, below {@code vocabularySize}
 */
public record NetworkSpec(ModelGraph graph, int vocabularySize, int paddingId) {
  public NetworkSpec {
    Objects.requireNonNull(graph, "graph");
    if (vocabularySize < 1 || paddingId < 0 || paddingId >= vocabularySize) {
      throw new IllegalArgumentException("a vocabulary of " + vocabularySize + " tokens cannot have padding id " + paddingId);
    }
  }
}
