package dev.mtl.core.engine;

import java.util.Map;

/**
 * One batch of texts and the targets of every task labelled on them. Tasks over the same texts
 * (e.g. GoEmotions' three label sets) share one batch, so the shared layers run once for all.
 *
 * @param tokens the texts' token ids
 * @param targets per task: one target row per text
 */
public record SourceBatch(TokenBatch tokens, Map<String, float[][]> targets) {
  public SourceBatch {
    targets = Map.copyOf(targets);
    for (Map.Entry<String, float[][]> e : targets.entrySet()) {
      if (e.getValue().length != tokens.size()) {
        throw new IllegalArgumentException(
            "task '" + e.getKey() + "' has " + e.getValue().length + " targets for " + tokens.size() + " texts");
      }
    }
  }
}
