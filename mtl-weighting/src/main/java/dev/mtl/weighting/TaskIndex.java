package dev.mtl.weighting;

import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.List;

/** Where a step's task sits in the run's task list, for weightings that keep state per task. */
final class TaskIndex {
  private TaskIndex() {}

  /** The run-list index of each of a step's tasks, in the step's order. */
  static int[] of(List<String> runTasks, List<String> stepTasks) {
    return stepTasks.stream().mapToInt(task -> of(runTasks, task)).toArray();
  }

  /** A step's losses, each at least {@code floor}, so their logarithms and ratios stay finite. */
  static double[] flooredLosses(WeightingInput input, double floor) {
    return Arrays.stream(input.losses()).map(l -> Math.max(l, floor)).toArray();
  }

  static int of(List<String> runTasks, String task) {
    int k = runTasks.indexOf(task);
    if (k < 0) {
      throw new IllegalArgumentException("task '" + task + "' is not one of the run's tasks " + runTasks
          + " this weighting was created for");
    }
    return k;
  }
}
