package dev.mtl.core.engine;

import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.weighting.GradientNeed;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

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
   * @param optimizer how {@link Network#trainStep} updates parameters (its rates come with each step)
   * @param seed seeds parameter initialisation and dropout: the same seed gives the same run
   */
  Network create(NetworkSpec spec, OptimizerSettings optimizer, long seed);

  /** Loads parameters that {@link Network#save} wrote into {@code directory}, for prediction. */
  Network load(NetworkSpec spec, Path directory) throws IOException;

  /**
   * A network to train further from the parameters {@link Network#save} wrote into {@code
   * directory}, with a fresh optimizer state (per-task fine-tuning of a trained model).
   */
  default Network startFrom(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path directory) throws IOException {
    throw new UnsupportedOperationException("engine '" + name() + "' cannot go on training a saved model (training.fine-tune);"
        + " pick an engine that can (mtl plugins lists the engines)");
  }

  /** A network to go on training from a checkpoint written by {@link Network#saveCheckpoint}. */
  Network resume(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path checkpoint) throws IOException;

  /**
   * What of this graph the engine cannot run, as a phrase that follows "the engine" (e.g. "cannot
   * run the bilstm encoder ... yet; use engine djl-pytorch"), naming the feature and, where it
   * knows one, an engine that can; checked when a config loads, so an unsupported choice fails
   * before any data is read.
   */
  default Optional<String> unsupported(ModelGraph graph) {
    return Optional.empty();
  }

  /**
   * Why the engine cannot give a weighting what it needs each step, as a phrase that follows "the
   * engine" (naming an engine that can); empty if it can. Checked when a config loads.
   */
  default Optional<String> unsupported(GradientNeed need) {
    return Optional.empty();
  }

  /** A model in the engine's own format, made outside mtl (e.g. a TensorFlow SavedModel), served for prediction. */
  default Network serve(ForeignModel model) throws IOException {
    throw new UnsupportedOperationException("engine '" + name() + "' serves only models mtl trained; pick an engine that serves "
        + "models made elsewhere (mtl plugins lists the engines)");
  }

  /** Where it runs, e.g. {@code cpu} or {@code gpu(0)}. */
  String device();

  @Override
  void close();
}
