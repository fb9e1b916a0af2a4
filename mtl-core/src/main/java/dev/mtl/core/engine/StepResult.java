package dev.mtl.core.engine;

import java.util.Map;

/**
 * What one training step did.
 *
 * @param losses each task's loss before weighting
 * @param weights each task's weight
 * @param penalty the parameter penalties' contribution to the loss (soft sharing), 0 if none
 */
public record StepResult(Map<String, Double> losses, Map<String, Double> weights, double penalty) {
  /** The loss that was back-propagated: the weighted sum plus penalties. */
  public double totalLoss() {
    return losses.entrySet().stream().mapToDouble(e -> e.getValue() * weights.get(e.getKey())).sum() + penalty;
  }
}
