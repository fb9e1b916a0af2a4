package dev.mtl.core.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A {@link dev.mtl.core.model.ModelGraph} lowered onto an engine, with its parameters. Engines
 * implement it; the engine-neutral training loop, evaluation and the prediction API drive it.
 */
public interface Network extends AutoCloseable {
  /**
   * Overwrites rows of an embedding layer's table before training, e.g. with pretrained word
   * vectors: row {@code ids[i]} becomes {@code rows[i]}.
   */
  default void setEmbeddingRows(String layerId, int[] ids, float[][] rows) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot load word vectors; pick an engine that can"
        + " (`mtl plugins` lists the engines)");
  }

  /**
   * Overwrites parameters before training, e.g. a transformer's with pretrained weights: each
   * named parameter gets the tensor's values, which must have its shape.
   */
  default void setParameters(Map<String, ParameterFile.Tensor> values) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot load pretrained weights; pick an engine that"
        + " can (`mtl plugins` lists the engines)");
  }

  /**
   * One optimizer step: forward every batch, compute each task's loss, ask the weighting for
   * weights (computing the Gramian first if it needs one), back-propagate the weighted sum once and
   * update the parameters at the step's learning rate.
   *
   * @throws NonFiniteException if a task's loss or the gradients are not finite; no parameter
   *     has changed then
   * @throws IllegalArgumentException if the Gramian asked for cannot be computed for this graph
   *     and these batches (see {@link dev.mtl.core.weighting.GramianChoice#problem})
   */
  StepResult trainStep(TrainStep step);

  /**
   * Measures task affinity on these batches without training: each task's loss, then for each task
   * i every task's loss after a plain gradient step of size {@code rate} on the shared parameters
   * along task i's gradient alone (dropout off), and the Gramian of those gradients. Parameters
   * and optimizer state are as they were afterwards.
   */
  default Lookahead lookahead(List<SourceBatch> batches, double rate) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot measure task affinity; pick an engine that"
        + " can (`mtl plugins` lists the engines)");
  }

  /** Scores (after each loss's activation) of the given tasks' heads, one row per text. */
  Map<String, float[][]> predict(TokenBatch tokens, Collection<String> tasks);

  /** Writes the parameters into {@code directory} (which the caller makes and publishes atomically). */
  void save(Path directory) throws IOException;

  /**
   * Writes everything training needs to continue exactly into {@code directory} (which the caller
   * makes and publishes atomically): the parameters and the optimizer's state. Read back by
   * {@link Engine#resume}.
   */
  void saveCheckpoint(Path directory) throws IOException;

  /** Number of trainable scalars. */
  long parameterCount();

  @Override
  void close();
}
