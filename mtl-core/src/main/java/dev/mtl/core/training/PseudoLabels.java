package dev.mtl.core.training;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which unlabelled texts a model's predictions label: those whose most probable class reaches the
 * confidence threshold, at most {@code maxPerClass} per class (the most confident first), so a
 * class the model already favours cannot flood the training set. Multi-label tasks: {@link
 * #selectMultiLabel}.
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

  /**
   * A multi-label pseudo-label.
   *
   * @param index the text's index among the candidates' scores
   * @param labels the labels predicted present, in label order
   * @param confidence the least sure of its per-label decisions: min over labels of max(p, 1 - p)
   */
  public record MultiLabelPick(int index, List<Integer> labels, double confidence) {
    public MultiLabelPick {
      labels = List.copyOf(labels);
    }
  }

  /**
   * Multi-label picks from {@code candidates} (indices into {@code probabilities}, one row of
   * per-label probabilities per text): a text qualifies when every label's decision is sure, each
   * probability at least {@code confidence} or at most {@code 1 - confidence}, and at least one
   * label is present. Most confident first (ties by index); a text is taken while none of its
   * labels has reached {@code maxPerClass} picks, so no label floods the set.
   */
  public static List<MultiLabelPick> selectMultiLabel(float[][] probabilities, List<Integer> candidates, double confidence,
      int maxPerClass) {
    float high = (float) confidence; // compared in float, as in select
    float low = (float) (1 - confidence);
    List<MultiLabelPick> sure = new ArrayList<>();
    for (int index : candidates) {
      float[] p = probabilities[index];
      List<Integer> present = new ArrayList<>();
      double least = 1;
      boolean allSure = true;
      for (int c = 0; c < p.length; c++) {
        if (p[c] >= high) {
          present.add(c);
        } else if (p[c] > low) {
          allSure = false;
          break;
        }
        least = Math.min(least, Math.max(p[c], 1 - p[c]));
      }
      if (allSure && !present.isEmpty()) {
        sure.add(new MultiLabelPick(index, present, least));
      }
    }
    sure.sort(Comparator.comparingDouble(MultiLabelPick::confidence).reversed().thenComparingInt(MultiLabelPick::index));
    Map<Integer, Integer> perLabel = new TreeMap<>();
    List<MultiLabelPick> picks = new ArrayList<>();
    for (MultiLabelPick pick : sure) {
      if (pick.labels().stream().allMatch(label -> perLabel.getOrDefault(label, 0) < maxPerClass)) {
        pick.labels().forEach(label -> perLabel.merge(label, 1, Integer::sum));
        picks.add(pick);
      }
    }
    return picks;
  }
}
