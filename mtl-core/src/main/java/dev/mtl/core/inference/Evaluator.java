package dev.mtl.core.inference;

import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.task.ClassReport;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/** Scores every example of some sources and lets each task compute its metrics. */
public final class Evaluator {
  static final int BATCH_SIZE = 256;

  private Evaluator() {}

  /** How far an evaluation has come: rows scored so far of all rows (called after each batch). */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (done, total) -> {};

    void rows(long done, long total);
  }

  /** Metrics per task, for the tasks labelled in {@code sources}. */
  public static Map<String, TaskMetrics> evaluate(Network network, List<Task> tasks, List<DataSource> sources) {
    return evaluate(network, tasks, sources, Progress.NONE);
  }

  /** {@link #evaluate(Network, List, List)}, telling {@code progress} after each batch. */
  public static Map<String, TaskMetrics> evaluate(Network network, List<Task> tasks, List<DataSource> sources, Progress progress) {
    return metrics(tasks, labelledScores(network, tasks, sources, progress));
  }

  /**
   * Metrics per task as training selects by them: a task that asks to be calibrated on dev ({@link
   * Task#calibrationRequested}, e.g. {@code threshold: tune}) is measured as {@link
   * Task#calibratedMetrics} says it would be once calibrated on these scores, so that model selection
   * compares the models as they would be served. At fixed 0.5 thresholds the rare labels of a
   * multi-label task count as missed until the model grows confident, which favours later, more
   * confident epochs over better-ranking ones. Leaves the tasks' settings as they are.
   */
  public static Map<String, TaskMetrics> calibratedEvaluate(Network network, List<Task> tasks, List<DataSource> sources,
      Progress progress) {
    return metrics(tasks, labelledScores(network, tasks, sources, progress),
        (task, s) -> task.calibrationRequested() ? task.calibratedMetrics(s.scores(), s.targets()) : task.evaluate(s.scores(), s.targets()));
  }

  /** Each task's metrics from its scores. */
  public static Map<String, TaskMetrics> metrics(List<Task> tasks, Map<String, Scored> scored) {
    return metrics(tasks, scored, (task, s) -> task.evaluate(s.scores(), s.targets()));
  }

  private static Map<String, TaskMetrics> metrics(List<Task> tasks, Map<String, Scored> scored,
      BiFunction<Task, Scored, TaskMetrics> measure) {
    Map<String, TaskMetrics> out = new LinkedHashMap<>();
    for (Task task : tasks) {
      Scored s = scored.get(task.name());
      if (s != null) {
        out.put(task.name(), measure.apply(task, s));
      }
    }
    return out;
  }

  /** Per-class results of the tasks that offer them ({@link Task#classReport}), from their scores. */
  public static Map<String, ClassReport> classReports(List<Task> tasks, Map<String, Scored> scored) {
    Map<String, ClassReport> out = new LinkedHashMap<>();
    for (Task task : tasks) {
      Scored s = scored.get(task.name());
      if (s != null) {
        task.classReport(s.scores(), s.targets()).ifPresent(report -> out.put(task.name(), report));
      }
    }
    return out;
  }

  /** A task's scores and targets on the rows labelled for it, row for row. */
  public record Scored(float[][] scores, float[][] targets) {}

  /**
   * Each task's scores on the rows of {@code sources} labelled for it (rows without a label for a
   * task, with partial labels, are left out), in the order of {@code tasks}.
   */
  public static Map<String, Scored> labelledScores(Network network, List<Task> tasks, List<DataSource> sources) {
    return labelledScores(network, tasks, sources, Progress.NONE);
  }

  /** {@link #labelledScores(Network, List, List)}, telling {@code progress} after each batch. */
  public static Map<String, Scored> labelledScores(Network network, List<Task> tasks, List<DataSource> sources, Progress progress) {
    Map<String, Scored> out = new LinkedHashMap<>();
    long total = sources.stream().mapToLong(s -> s.tokens().length).sum();
    long done = 0;
    progress.rows(0, total);
    for (DataSource source : sources) {
      long before = done;
      Map<String, float[][]> scores = scoreAll(network, source.tokens(), source.features(), source.tasks(), rows -> {
        progress.rows(before + rows, total);
        GracefulStop.throwIfRequested();
      });
      done += source.tokens().length;
      for (String task : source.tasks()) {
        float[][] targets = source.targets(task);
        int[] labelled = IntStream.range(0, targets.length).filter(i -> TaskData.isLabelled(targets[i])).toArray();
        if (labelled.length == 0) {
          continue;
        }
        float[][] taskScores = scores.get(task);
        out.put(task, new Scored(Arrays.stream(labelled).mapToObj(i -> taskScores[i]).toArray(float[][]::new),
            Arrays.stream(labelled).mapToObj(i -> targets[i]).toArray(float[][]::new)));
      }
    }
    Map<String, Scored> ordered = new LinkedHashMap<>();
    tasks.stream().filter(t -> out.containsKey(t.name())).forEach(t -> ordered.put(t.name(), out.get(t.name())));
    return ordered;
  }

  /**
   * Scores of the given tasks for every row of {@code tokens}, in row order; {@code features}: each
   * row's pretrained sentence vector, or null.
   */
  public static Map<String, float[][]> scoreAll(Network network, int[][] tokens, float[][] features, List<String> tasks) {
    return scoreAll(network, tokens, features, tasks, rows -> GracefulStop.throwIfRequested());
  }

  /**
   * {@link #scoreAll(Network, int[][], float[][], List)} to the end even when a stop was requested:
   * for predictions a server accepted before it began to shut down.
   */
  public static Map<String, float[][]> scoreAllUnstoppable(Network network, int[][] tokens, float[][] features, List<String> tasks) {
    return scoreAll(network, tokens, features, tasks, rows -> {});
  }

  private static Map<String, float[][]> scoreAll(Network network, int[][] tokens, float[][] features, List<String> tasks,
      LongConsumer rowsDone) {
    long done = 0;
    Map<String, float[][]> scores = new LinkedHashMap<>();
    tasks.forEach(t -> scores.put(t, new float[tokens.length][]));
    for (int[] indices : LengthBatcher.sortedBatches(tokens, BATCH_SIZE)) {
      Map<String, float[][]> batch = network.predict(TokenBatch.of(tokens, features, indices), tasks);
      for (String task : tasks) {
        float[][] taskScores = batch.get(task);
        for (int i = 0; i < indices.length; i++) {
          scores.get(task)[indices[i]] = taskScores[i];
        }
      }
      done += indices.length;
      rowsDone.accept(done);
    }
    return scores;
  }

  /** The mean of the tasks' primary metrics: one number to compare runs by. */
  public static double meanPrimary(Map<String, TaskMetrics> metrics) {
    return metrics.values().stream().mapToDouble(TaskMetrics::primaryValue).average().orElse(Double.NaN);
  }
}
