package dev.mtl.core.training;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.OptimizerSettings;

/**
 * The {@code training} part of a run config.
 *
 * @param epochs passes over the largest task's data (smaller tasks cycle)
 * @param batchSize examples per task per step
 * @param maxStepsPerEpoch cap on steps per epoch, 0 for none (quick trials and tests)
 * @param logEvery report training losses every this many steps
 * @param optimizer optimizer and learning rate
 */
public record TrainingSettings(int epochs, int batchSize, int maxStepsPerEpoch, int logEvery, OptimizerSettings optimizer) {
  public static TrainingSettings read(ConfigSection training) {
    return new TrainingSettings(
        training.integer("epochs", 3, 1, 100_000),
        training.integer("batch-size", 32, 1, 65_536),
        training.integer("max-steps-per-epoch", 0, 0, Integer.MAX_VALUE),
        training.integer("log-every", 100, 1, Integer.MAX_VALUE),
        OptimizerSettings.read(training));
  }
}
