package dev.mtl.core.training;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which unlabelled texts a model's predictions label: those whose most probable class reaches the
 * confidence threshold, at most {@code maxPerClass} per class (the most confident first), so a
 * class the model already favours cannot flood the training set.
 */
public final class PseudoLabels {
  private PseudoLabels() {}

  /**
   * One pseudo-label.
   *
   * @param index the text's index among the candidates' scores
   * @param label the predicted class
   * @param confidence its probability
   */
  public record Pick(int index, int label, double confidence) {}

  /**
   * Picks from {@code candidates} (indices into {@code probabilities}, one row of class
   * probabilities per text), by class in class order and within a class by descending confidence
   * (ties by index).
   */
  public static List<Pick> select(float[][] probabilities, List<Integer> candidates, double confidence, int maxPerClass) {
    Map<Integer, List<Pick>> byClass = new TreeMap<>();
    float threshold = (float) confidence; // compared in float, so a probability of 0.9f meets confidence 0.9
    for (int index : candidates) {
      float[] p = probabilities[index];
      int best = 0;
      for (int c = 1; c < p.length; c++) {
        if (p[c] > p[best]) {
          best = c;
        }
      }
      if (p[best] >= threshold) {
        byClass.computeIfAbsent(best, c -> new ArrayList<>()).add(new Pick(index, best, p[best]));
      }
    }
    List<Pick> picks = new ArrayList<>();
    for (List<Pick> list : byClass.values()) {
      list.sort(Comparator.comparingDouble(Pick::confidence).reversed().thenComparingInt(Pick::index));
      picks.addAll(list.subList(0, Math.min(maxPerClass, list.size())));
    }
    return picks;
  }
}
