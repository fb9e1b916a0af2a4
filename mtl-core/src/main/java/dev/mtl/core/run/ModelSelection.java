package dev.mtl.core.run;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.task.TaskMetrics;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which epoch's model a run keeps, from {@code training.select-by} and {@code training.patience}.
 *
 * <pre>
 * training: {select-by: mean, patience: 2}
 * </pre>
 *
 * {@code last} (default): the model after the last epoch. {@code mean}: the epoch with the best
 * mean of the tasks' primary dev metrics (lower-is-better metrics count negated). {@code delta-m}:
 * the best Δm% of dev metrics against the stored single-task baselines. A task name: that task's
 * primary dev metric. {@code per-task}: every task keeps the model as it was at its own best primary
 * dev metric (tasks converge at different speeds); the saved model holds one parameter set per task.
 * Dev is evaluated after every epoch and, with {@code eval-every}, every so many steps. With {@code
 * patience: N > 0} training stops after N evaluations without a better score (with {@code
 * per-task}: without any task getting better). With {@code per-task}, {@code stop-tasks: true} also
 * stops training each task once it has gone {@code patience} evaluations without getting better
 * (task-wise early stopping, Zhang et al. 2014): its loss leaves the step, its kept state stays,
 * and the tasks still improving get the shared layers to themselves.
 *
 * @param selectBy {@code last}, {@code mean}, {@code delta-m}, {@code per-task} or a task name
 * @param patience evaluations without improvement before stopping; 0 never stops early
 * @param stopTasks with {@code per-task}: stop training each task when its own patience runs out
 */
public record ModelSelection(String selectBy, int patience, boolean stopTasks) {
  /** The criterion that selects each task's state on its own. */
  public static final String PER_TASK = "per-task";
  public static final Set<String> CRITERIA = Set.of("last", "mean", "delta-m", PER_TASK);

  /** Reads the settings; a criterion that is neither a keyword nor one of {@code tasks} is a problem. */
  public static ModelSelection read(ConfigSection training, List<String> tasks) {
    String selectBy = training.string("select-by", "last");
    int patience = training.integer("patience", 0, 0, 100_000);
    if (!CRITERIA.contains(selectBy) && !tasks.contains(selectBy)) {
      training.problem("select-by", selectBy, "must be last, mean, delta-m, per-task or a task of this run " + tasks);
    }
    if (patience > 0 && selectBy.equals("last")) {
      training.problem("patience", patience, "needs a criterion to wait on; set select-by to mean, delta-m or a task name");
    }
    boolean stopTasks = training.bool("stop-tasks", false);
    if (stopTasks && (!selectBy.equals(PER_TASK) || patience == 0)) {
      training.problem("stop-tasks", true, "stops each task when its own patience runs out, so it needs select-by: per-task and"
          + " patience > 0 (now select-by: " + selectBy + ", patience: " + patience + ")");
    }
    return new ModelSelection(selectBy, patience, stopTasks);
  }

  public boolean keepsLast() {
    return selectBy.equals("last");
  }

  /** True when each task keeps its own best state ({@code per-task}). */
  public boolean perTask() {
    return selectBy.equals(PER_TASK);
  }

  /** The epoch's score, higher is better; NaN when the dev metrics it needs are missing. */
  public double score(Map<String, TaskMetrics> dev, Baselines baselines) {
    return switch (selectBy) {
      case "last" -> 0;
      // Per-task selection keeps each task's own best; the mean tells whether any evaluation was good.
      case "mean", PER_TASK -> dev.values().stream().mapToDouble(ModelSelection::primary).average().orElse(Double.NaN);
      case "delta-m" -> baselines == null ? Double.NaN : baselines.compare(Map.of(), dev).deltaM();
      default -> dev.containsKey(selectBy) ? primary(dev.get(selectBy)) : Double.NaN;
    };
  }

  /** A task's primary metric, negated when lower is better, so that higher is always better. */
  public static double primary(TaskMetrics metrics) {
    double value = metrics.values().get(metrics.primary());
    return metrics.higherIsBetter(metrics.primary()) ? value : -value;
  }
}
