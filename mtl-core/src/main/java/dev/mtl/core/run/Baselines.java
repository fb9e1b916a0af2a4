package dev.mtl.core.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Single-task baselines: each task's metrics when trained alone with the same model and budget,
 * stored by {@code mtl train --single-task}, and the comparison every multi-task run makes with
 * them: per-metric relative gains and Δm% (Maninis et al. 2019), the mean over tasks of the mean
 * sign-adjusted relative change of each task's metrics.
 *
 * @param test each task's test metrics trained alone (tasks with a test split)
 * @param dev each task's dev metrics trained alone (tasks with a dev split)
 */
public record Baselines(Map<String, TaskMetrics> test, Map<String, TaskMetrics> dev) {
  public static final String FILE_NAME = RunConfig.BASELINES_FILE;

  public void write(Path file) throws IOException {
    AtomicFiles.writeString(file, JsonFiles.pretty(this));
  }

  public static Baselines read(Path file) throws IOException {
    return JsonFiles.read(file, Baselines.class);
  }

  /**
   * One task's comparison.
   *
   * @param split the split compared
   * @param baseline the baseline's metric values
   * @param gains per metric, the sign-adjusted relative change in percent (positive is better)
   * @param delta the mean of {@code gains}
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TaskComparison(String split, Map<String, Double> baseline, Map<String, Double> gains, double delta) {}

  /**
   * The comparison of a run with the baselines.
   *
   * @param tasks per task with a baseline, on test where both have it, else on dev
   * @param deltaM Δm%: the mean of the tasks' deltas
   */
  public record Comparison(Map<String, TaskComparison> tasks, double deltaM) {}

  /** Compares a run's test (else dev) metrics with these baselines; tasks without one are left out. */
  public Comparison compare(Map<String, TaskMetrics> runTest, Map<String, TaskMetrics> runDev) {
    Map<String, TaskComparison> tasks = new LinkedHashMap<>();
    Set<String> names = new LinkedHashSet<>(runTest.keySet());
    names.addAll(runDev.keySet());
    for (String task : names) {
      boolean onTest = runTest.containsKey(task) && test.containsKey(task);
      TaskMetrics m = onTest ? runTest.get(task) : runDev.get(task);
      TaskMetrics base = onTest ? test.get(task) : dev.get(task);
      if (m == null || base == null) {
        continue;
      }
      Map<String, Double> gains = new LinkedHashMap<>();
      m.values().forEach((name, value) -> {
        Double b = base.values().get(name);
        if (b != null && b != 0 && Double.isFinite(b) && Double.isFinite(value)) {
          double sign = m.higherIsBetter(name) ? 1 : -1;
          gains.put(name, 100 * sign * (value - b) / Math.abs(b));
        }
      });
      double delta = gains.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      tasks.put(task, new TaskComparison(onTest ? "test" : "dev", base.values(), gains, delta));
    }
    double deltaM = tasks.values().stream().mapToDouble(TaskComparison::delta).filter(Double::isFinite).average().orElse(Double.NaN);
    return new Comparison(tasks, deltaM);
  }
}
