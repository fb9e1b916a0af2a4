package dev.mtl.core.training;

import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run trains and evaluates on, per task name: usually the config's files ({@link #read}),
 * or splits made in memory (cross-validation folds).
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

  /** Reads every task's configured files. */
  public static TrainingData read(List<Task> tasks) {
    return new TrainingData(read(tasks, DataSplit.TRAIN), read(tasks, DataSplit.DEV), read(tasks, DataSplit.TEST));
  }

  private static Map<String, TaskData> read(List<Task> tasks, DataSplit split) {
    Map<String, TaskData> out = new LinkedHashMap<>();
    for (Task task : tasks) {
      task.dataFile(split).ifPresent(file -> out.put(task.name(), task.read(file)));
    }
    return out;
  }
}
