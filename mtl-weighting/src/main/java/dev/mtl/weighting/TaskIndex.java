package dev.mtl.weighting;

import java.util.List;

/** Where a step's task sits in the run's task list, for weightings that keep state per task. */
final class TaskIndex {
  private TaskIndex() {}

  static int of(List<String> runTasks, String task) {
    int k = runTasks.indexOf(task);
    if (k < 0) {
      throw new IllegalArgumentException("task '" + task + "' is not one of the run's tasks " + runTasks
          + " this weighting was created for");
    }
    return k;
  }
}
