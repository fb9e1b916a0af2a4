package dev.mtl.core.run;

import dev.mtl.core.config.ConfigSection;
import java.util.Optional;

/**
 * Per-task fine-tuning after multi-task training (the MT-DNN recipe, Liu et al. 2019), from
 * {@code training.fine-tune}: each task starts from the kept multi-task model (its own state under
 * {@code select-by: per-task}), trains on its own data alone with a fresh optimizer, is evaluated on
 * its dev data after every epoch, and keeps its best state, the starting point included, so
 * fine-tuning never leaves a task worse on dev than multi-task training did. The saved model holds
 * one parameter set per task and serves every task from one directory.
 *
 * <pre>
 * training: {select-by: per-task, fine-tune: {epochs: 3, learning-rate: 0.0005, patience: 1}}
 * </pre>
 *
 * @param epochs most epochs of fine-tuning per task (an epoch is one pass over its training data)
 * @param learningRate the constant rate of fine-tuning
 * @param patience epochs without a better dev metric before a task stops (0: never early)
 */
public record FineTuning(int epochs, double learningRate, int patience) {
  /** The settings, or empty when the config has no {@code fine-tune} section. */
  public static Optional<FineTuning> read(ConfigSection training, double trainingRate) {
    if (!training.has("fine-tune")) {
      return Optional.empty();
    }
    ConfigSection section = training.section("fine-tune");
    return Optional.of(new FineTuning(section.integer("epochs", 3, 1, 100_000),
        section.number("learning-rate", trainingRate, 1e-12, 10), section.integer("patience", 1, 0, 100_000)));
  }
}
