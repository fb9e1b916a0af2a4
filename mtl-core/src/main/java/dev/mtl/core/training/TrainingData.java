package dev.mtl.core.training;

import dev.mtl.core.run.Holdout;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run trains and evaluates on, per task name: usually the config's files ({@link #read}),
 * with holdout splits carved from train files, or splits made in memory (cross-validation folds).
 *
 * @param train every task's training rows
 * @param dev tasks with a dev split: model selection and early stopping
 * @param test tasks with a test split: the final evaluation
 */
public record TrainingData(Map<String, TaskData> train, Map<String, TaskData> dev, Map<String, TaskData> test) {
  public TrainingData {
    train = Collections.unmodifiableMap(new LinkedHashMap<>(train));
    dev = Collections.unmodifiableMap(new LinkedHashMap<>(dev));
    test = Collections.unmodifiableMap(new LinkedHashMap<>(test));
  }

  /**
   * Reads every task's configured files; a task with a {@link Holdout} gets its dev and test rows
   * from its train file instead (the rest stay for training).
   */
  public static TrainingData read(List<Task> tasks, Map<String, Holdout> holdouts) {
    Map<String, TaskData> train = read(tasks, DataSplit.TRAIN);
    Map<String, TaskData> dev = read(tasks, DataSplit.DEV);
    Map<String, TaskData> test = read(tasks, DataSplit.TEST);
    holdouts.forEach((task, holdout) -> {
      TaskData all = train.get(task);
      if (all == null) {
        return;
      }
      Holdout.Split[] splits = all.texts().stream().map(holdout::splitOf).toArray(Holdout.Split[]::new);
      train.put(task, part(all, splits, Holdout.Split.TRAIN, all.skippedRows()));
      if (holdout.dev() > 0) {
        dev.put(task, part(all, splits, Holdout.Split.DEV, 0));
      }
      if (holdout.test() > 0) {
        test.put(task, part(all, splits, Holdout.Split.TEST, 0));
      }
    });
    return new TrainingData(train, dev, test);
  }

  /** The rows of {@code all} whose split (one per row, in order) is {@code split}. */
  private static TaskData part(TaskData all, Holdout.Split[] splits, Holdout.Split split, int skippedRows) {
    String source = split == Holdout.Split.TRAIN ? all.source()
        : all.source() + " (holdout " + split.name().toLowerCase(Locale.ROOT) + ")";
    return all.rows(row -> splits[row] == split, source, skippedRows);
  }

  private static Map<String, TaskData> read(List<Task> tasks, DataSplit split) {
    Map<String, TaskData> out = new LinkedHashMap<>();
    for (Task task : tasks) {
      task.dataFile(split).ifPresent(file -> out.put(task.name(), task.read(file)));
    }
    return out;
  }
}
