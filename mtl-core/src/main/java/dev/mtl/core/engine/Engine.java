package dev.mtl.core.engine;

import dev.mtl.core.model.ModelGraph;
import java.io.IOException;
import java.nio.file.Path;

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

  /** Where it runs, e.g. {@code cpu} or {@code gpu(0)}. */
  String device();

  @Override
  void close();
}
