package dev.mtl.core.engine;

import dev.mtl.core.model.ModelGraph;
import java.util.Map;
import java.util.Objects;

/**
 * What network an engine builds: a model graph over a token vocabulary.
 *
 * @param vocabularySize rows of the graph's embeddings
 * @param paddingId the token id that pads sequences, below {@code vocabularySize}
 * @param startValues parameters a new network starts at instead of their {@link ParameterLayout}
 *     draws (e.g. heads' biases at the training labels' priors, {@code model.head-bias: prior});
 *     ignored when the parameters are read from a saved model or checkpoint
 */
public record NetworkSpec(ModelGraph graph, int vocabularySize, int paddingId, Map<String, ParameterFile.Tensor> startValues) {
  public NetworkSpec {
    Objects.requireNonNull(graph, "graph");
    startValues = Map.copyOf(startValues);
    if (vocabularySize < 1 || paddingId < 0 || paddingId >= vocabularySize) {
      throw new IllegalArgumentException("a vocabulary of " + vocabularySize + " tokens cannot have padding id " + paddingId);
    }
  }

  /** Every parameter starts at its layout's draw. */
  public NetworkSpec(ModelGraph graph, int vocabularySize, int paddingId) {
    this(graph, vocabularySize, paddingId, Map.of());
  }
}
