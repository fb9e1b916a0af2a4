package dev.mtl.core.training;

import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * K cross-validation folds over the training rows of every task. Folds are drawn by text: every
 * row of every task with the same text lands in the same fold, so no text is trained on and
 * tested at once (GoEmotions' three label sets share their texts; separate datasets may share a
 * sentence too). They are stratified by iterative stratification (Sechidis et al. 2011, on groups
 * of rows): texts carrying the rarest labels are placed first, each into the fold that still
 * lacks most of that label, so every fold gets close to a K-th of every task's every label.
 */
public final class Folds {
  private final int count;
  private final Map<String, Integer> foldOfText;

  private Folds(int count, Map<String, Integer> foldOfText) {
    this.count = count;
    this.foldOfText = foldOfText;
  }

  /**
   * Draws {@code count} folds over {@code train} (task name to its training rows); the seed only
   * breaks ties, so the same data and seed give the same folds.
   */
  public static Folds stratified(List<Task> tasks, Map<String, TaskData> train, int count, long seed) {
    if (count < 2) {
      throw new IllegalArgumentException("cross-validation needs at least 2 folds, got " + count);
    }
    // Each distinct text with the labels its rows carry ("task#label"); the group's size is its row count.
    Map<String, Group> groups = new LinkedHashMap<>();
    Map<String, Integer> totals = new HashMap<>();
    for (Task task : tasks) {
      TaskData data = train.get(task.name());
      if (data == null) {
        continue;
      }
      for (int row = 0; row < data.size(); row++) {
        Group group = groups.computeIfAbsent(data.texts().get(row), Group::new);
        group.rows++;
        for (String label : labels(task, data.targets().get(row))) {
          group.labels.add(label);
          totals.merge(label, 1, Integer::sum);
        }
      }
    }
    if (groups.size() < count) {
      throw new IllegalArgumentException("cannot make " + count + " folds from " + groups.size() + " distinct training texts");
    }
    List<Group> order = new ArrayList<>(groups.values());
    Collections.shuffle(order, new Random(seed));
    for (Group g : order) {
      g.rarest = g.labels.stream().min(Comparator.comparingInt(totals::get)).orElse(null);
    }
    // Rarest labels first, unlabelled texts last; the sort is stable, so ties keep the shuffled order.
    order.sort(Comparator.comparingInt((Group g) -> g.rarest == null ? Integer.MAX_VALUE : totals.get(g.rarest)));

    // What each fold still lacks: a count-th of every label and of all rows.
    List<Map<String, Double>> wanted = new ArrayList<>();
    double[] rowsWanted = new double[count];
    int allRows = groups.values().stream().mapToInt(g -> g.rows).sum();
    for (int k = 0; k < count; k++) {
      Map<String, Double> w = new HashMap<>();
      totals.forEach((label, n) -> w.put(label, n / (double) count));
      wanted.add(w);
      rowsWanted[k] = allRows / (double) count;
    }
    Map<String, Integer> foldOfText = new HashMap<>();
    for (Group g : order) {
      int best = 0;
      double bestNeed = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < count; k++) {
        double need = g.rarest == null ? 0 : wanted.get(k).get(g.rarest);
        // The fold that lacks most of the text's rarest label; among equals, the one that lacks most rows.
        if (need > bestNeed || (need == bestNeed && rowsWanted[k] > rowsWanted[best])) {
          best = k;
          bestNeed = need;
        }
      }
      foldOfText.put(g.text, best);
      for (String label : g.labels) {
        wanted.get(best).merge(label, -1.0, Double::sum);
      }
      rowsWanted[best] -= g.rows;
    }
    return new Folds(count, foldOfText);
  }

  /** The labels a target carries: its class, or each positive label; none for regression and unlabelled rows. */
  private static List<String> labels(Task task, float[] target) {
    if (!TaskData.isLabelled(target)) {
      return List.of();
    }
    LossKind loss = task.output().loss();
    if (loss == LossKind.SOFTMAX_CROSS_ENTROPY) {
      return List.of(task.name() + "#" + (int) target[0]);
    }
    if (loss == LossKind.SIGMOID_BINARY_CROSS_ENTROPY) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < target.length; i++) {
        if (target[i] > 0.5f) {
          out.add(task.name() + "#" + i);
        }
      }
      return out;
    }
    return List.of();
  }

  public int count() {
    return count;
  }

  /** The fold a training text belongs to. */
  public int foldOf(String text) {
    Integer fold = foldOfText.get(text);
    if (fold == null) {
      throw new IllegalArgumentException("not a training text of these folds: '" + text + "'");
    }
    return fold;
  }

  /**
   * Fold {@code fold} as a run's data: its rows are the test split, the other folds' rows the
   * training split, and the config's dev split stays for model selection.
   */
  public TrainingData split(TrainingData data, int fold) {
    Map<String, TaskData> train = new LinkedHashMap<>();
    Map<String, TaskData> test = new LinkedHashMap<>();
    data.train().forEach((task, rows) -> {
      String source = rows.source() + " (cross-validation fold " + (fold + 1) + " of " + count + ")";
      train.put(task, rows.rows(row -> foldOf(rows.texts().get(row)) != fold, source, 0));
      test.put(task, rows.rows(row -> foldOf(rows.texts().get(row)) == fold, source, 0));
    });
    return new TrainingData(train, data.dev(), test);
  }

  private static final class Group {
    final String text;
    final List<String> labels = new ArrayList<>();
    int rows;
    String rarest;

    Group(String text) {
      this.text = text;
    }
  }
}
