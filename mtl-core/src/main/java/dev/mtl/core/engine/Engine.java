package dev.mtl.core.engine;

import dev.mtl.core.model.ModelGraph;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Executes model descriptions: the only place that knows a tensor library. One instance per run;
 * close it to release native memory.
 */
public interface Engine extends AutoCloseable {
  /** The provider name that made this engine, saved with models so they load on the same engine. */
  String name();

  /**
   * Builds a network with freshly initialised parameters, ready to train.
   *
   * @param vocabularySize rows of the embedding
   * @param paddingId token id that pads sequences
   * @param optimizer how {@link Network#trainStep} updates parameters
   * @param seed seeds parameter initialisation and dropout: the same seed gives the same run
   */
  Network create(ModelGraph graph, int vocabularySize, int paddingId, OptimizerSettings optimizer, long seed);

  /** Loads parameters that {@link Network#save} wrote, for prediction. */
  Network load(ModelGraph graph, int vocabularySize, int paddingId, Path directory) throws IOException;

  /** A network to go on training from a checkpoint written by {@link Network#saveCheckpoint}. */
  Network resume(ModelGraph graph, int vocabularySize, int paddingId, OptimizerSettings optimizer, long seed, Path checkpoint)
      throws IOException;

  /**
   * What of this graph the engine cannot run, as a phrase that follows "the engine" (e.g. "cannot
   * run the bilstm encoder ... yet; use engine djl-pytorch"), naming the feature and an engine that
   * can; checked when a config loads, so an unsupported choice fails before any data is read.
   */
  default Optional<String> unsupported(ModelGraph graph) {
    return Optional.empty();
  }

  /**
   * A model in the engine's own format, made outside mtl (e.g. a TensorFlow SavedModel), served
   * for prediction; the engine's settings say where in {@code directory} it is and how its inputs
   * and outputs map to tasks.
   *
   * @param widths per task, the number of scores its output has (one per label)
   * @param paddingId the token id that pads sequences
   * @param multiLabel tasks whose labels are independent
   */
  default Network serve(Path directory, Map<String, Integer> widths, int paddingId, Set<String> multiLabel) throws IOException {
    throw new UnsupportedOperationException("engine '" + name() + "' serves only models mtl trained; use engine 'tensorflow' for a SavedModel");
  }

  /** Where it runs, e.g. {@code cpu} or {@code gpu(0)}. */
  String device();

  @Override
  void close();
}
