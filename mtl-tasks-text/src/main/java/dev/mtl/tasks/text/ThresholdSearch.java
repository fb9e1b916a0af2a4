package dev.mtl.tasks.text;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** The decision threshold that maximises one label's F1 on held-out scores. */
final class ThresholdSearch {
  private ThresholdSearch() {}

  /**
   * The threshold (predict the label when its score is at or above it) with the highest F1 on these
   * scores, the highest such threshold when several tie. It lies halfway between the lowest accepted
   * score and the next one down (at the lowest score when all are accepted). {@code fallback} when
   * no example is positive, since then every threshold scores the same F1 of 0.
   */
  static double bestF1(float[] scores, boolean[] positive, double fallback) {
    long positives = IntStream.range(0, positive.length).filter(i -> positive[i]).count();
    if (positives == 0) {
      return fallback;
    }
    Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
    double bestF1 = -1;
    int bestAccepted = 0;
    long truePositives = 0;
    for (int k = 0; k < order.length; k++) {
      truePositives += positive[order[k]] ? 1 : 0;
      boolean boundary = k + 1 == order.length || scores[order[k + 1]] < scores[order[k]];
      if (!boundary) {
        continue; // equal scores are accepted together
      }
      // F1 = 2 TP / (predicted + actual positives), with the k + 1 highest scores predicted positive.
      double f1 = 2.0 * truePositives / (k + 1 + positives);
      if (f1 > bestF1) {
        bestF1 = f1;
        bestAccepted = k + 1;
      }
    }
    double lowestAccepted = scores[order[bestAccepted - 1]];
    return bestAccepted == order.length ? lowestAccepted : (lowestAccepted + scores[order[bestAccepted]]) / 2.0;
  }
}
