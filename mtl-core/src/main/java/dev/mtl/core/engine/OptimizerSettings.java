package dev.mtl.core.engine;

import dev.mtl.core.config.ConfigSection;
import java.util.Set;

/**
 * The optimizer of a training run.
 *
 * @param kind {@code adam} or {@code sgd}
 * @param learningRate step size
 */
public record OptimizerSettings(String kind, double learningRate) {
  public static final Set<String> KINDS = Set.of("adam", "sgd");

  public static OptimizerSettings read(ConfigSection training) {
    String kind = training.oneOf("optimizer", "adam", KINDS);
    double lr = training.number("learning-rate", 1e-3, 1e-9, 10);
    return new OptimizerSettings(kind, lr);
  }
}
