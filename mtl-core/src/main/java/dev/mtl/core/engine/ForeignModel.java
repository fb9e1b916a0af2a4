package dev.mtl.core.engine;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A model in an engine's own format, made outside mtl (e.g. a TensorFlow SavedModel), to serve for
 * prediction through {@link Engine#serve}; the engine's settings say where in {@code directory} it
 * is and how its inputs and outputs map to tasks.
 *
 * @param widths per task, the number of scores its output has (one per label)
 * @param paddingId the token id that pads sequences
 * @param multiLabel tasks whose labels are independent
 */
public record ForeignModel(Path directory, Map<String, Integer> widths, int paddingId, Set<String> multiLabel) {
  public ForeignModel {
    widths = Map.copyOf(widths);
    multiLabel = Set.copyOf(multiLabel);
  }
}
