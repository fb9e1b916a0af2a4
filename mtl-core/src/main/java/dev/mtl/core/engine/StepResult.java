package dev.mtl.core.engine;

import java.util.Map;

/**
 * What one training step did.
 *
 * @param losses each task's loss before weighting
 * @param weights each task's weight
 */
public record StepResult(Map<String, Double> losses, Map<String, Double> weights) {
  /** The loss that was back-propagated: the weighted sum. */
  public double weightedLoss() {
    return losses.entrySet().stream().mapToDouble(e -> e.getValue() * weights.get(e.getKey())).sum();
  }
}
