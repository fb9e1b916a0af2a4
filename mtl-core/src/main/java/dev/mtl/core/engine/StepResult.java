package dev.mtl.core.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one training step did.
 *
 * @param losses each task's loss before weighting
 * @param weights each task's weight
 * @param penalty what the loss adds beyond the tasks' weighted sum: parameter penalties (soft sharing) and
 *     auxiliary losses (the task discriminator and orthogonality of {@code asp}); 0 if none
 * @param gramian inner products of the tasks' gradients, rows in the order of {@code losses}, when
 *     the step computed them (for the weighting, or to measure gradient conflict)
 */
public record StepResult(Map<String, Double> losses, Map<String, Double> weights, double penalty, Optional<double[][]> gramian) {
  public StepResult(Map<String, Double> losses, Map<String, Double> weights, double penalty) {
    this(losses, weights, penalty, Optional.empty());
  }

  public StepResult {
    losses = Collections.unmodifiableMap(new LinkedHashMap<>(losses));
    weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
  }

  /** The loss that was back-propagated: the weighted sum plus penalties. */
  public double totalLoss() {
    return losses.entrySet().stream().mapToDouble(e -> e.getValue() * weights.get(e.getKey())).sum() + penalty;
  }

  /**
   * Cosine similarity of each pair of task gradients, keyed {@code "a~b"}: negative values are
   * conflicting gradients. Empty when the step computed no Gramian; NaN where a gradient is zero.
   */
  public Map<String, Double> cosines() {
    Map<String, Double> out = new LinkedHashMap<>();
    gramian.ifPresent(g -> {
      List<String> tasks = new ArrayList<>(losses.keySet());
      for (int i = 0; i < tasks.size(); i++) {
        for (int j = i + 1; j < tasks.size(); j++) {
          out.put(tasks.get(i) + "~" + tasks.get(j), g[i][j] / Math.sqrt(g[i][i] * g[j][j]));
        }
      }
    });
    return out;
  }
}
