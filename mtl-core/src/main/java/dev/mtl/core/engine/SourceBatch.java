package dev.mtl.core.engine;

import java.util.Map;

/**
 * One batch of texts and the targets of every task labelled on them. Tasks over the same texts
 * (e.g. GoEmotions' three label sets) share one batch, so the shared layers run once for all.
 *
 * @param tokens the texts' token ids
 * @param targets per task: one target row per text
 * @param rowWeights per task, where not every row counts fully (pseudo-labelled rows): one weight
 *     per text, scaling that row's loss; tasks missing here weigh every row 1
 */
public record SourceBatch(TokenBatch tokens, Map<String, float[][]> targets, Map<String, float[]> rowWeights) {
  public SourceBatch(TokenBatch tokens, Map<String, float[][]> targets) {
    this(tokens, targets, Map.of());
  }

  public SourceBatch {
    targets = Map.copyOf(targets);
    rowWeights = Map.copyOf(rowWeights);
    rowWeights.forEach((task, w) -> {
      if (w.length != tokens.size()) {
        throw new IllegalArgumentException("task '" + task + "' has " + w.length + " row weights for " + tokens.size() + " texts");
      }
    });
    for (Map.Entry<String, float[][]> e : targets.entrySet()) {
      if (e.getValue().length != tokens.size()) {
        throw new IllegalArgumentException(
            "task '" + e.getKey() + "' has " + e.getValue().length + " targets for " + tokens.size() + " texts");
      }
    }
  }
}
