package dev.mtl.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.training.CrossValidation;
import dev.mtl.core.training.Folds;
import dev.mtl.core.training.TrainingData;
import java.io.IOException;
import java.io.Serializable;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mtl cv} on Spark: every (setting, fold) run of a cross-validation is one Spark task, trained
 * on an executor with its task's cores ({@code spark.task.cpus} PyTorch threads), and the driver
 * writes the same {@code cv/report.json} from the runs' test metrics. A run whose task failed and
 * that Spark ran again is named in the report's {@code retries}. Executors read the config and its
 * data files at the same paths (shared storage, or local mode); each run writes its output folder
 * there as {@code mtl cv} does.
 */
public final class DistributedCrossValidation {

  private DistributedCrossValidation() {}

  /** As {@link CrossValidation#run}, the runs spread over the session's executors. */
  public static CrossValidation.Report run(SparkSession spark, Path config, List<String> baseOverrides, List<CrossValidation.Setting> settings,
      int folds) throws IOException {
    PluginRegistry registry = PluginRegistry.load();
    CrossValidation.Plan plan = CrossValidation.Plan.of(config.toAbsolutePath(), baseOverrides, settings, folds, registry);
    List<int[]> runs = new ArrayList<>();
    for (int fold = 0; fold < folds; fold++) {
      for (int s = 0; s < settings.size(); s++) {
        runs.add(new int[] {s, fold});
      }
    }
    RunTask task = new RunTask(plan.config().toString(), plan.baseOverrides(), plan.settings(), folds);
    // One partition per run, so each is a task of its own (and retried on its own).
    JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<RunResult> results = context.parallelize(runs, runs.size()).map(task::train).collect();
    List<List<Map<String, TaskMetrics>>> bySetting = new ArrayList<>();
    for (int s = 0; s < settings.size(); s++) {
      List<Map<String, TaskMetrics>> byFold = new ArrayList<>();
      for (int fold = 0; fold < folds; fold++) {
        byFold.add(null);
      }
      bySetting.add(byFold);
    }
    List<String> retries = new ArrayList<>();
    for (RunResult result : results) {
      bySetting.get(result.setting()).set(result.fold(), JsonFiles.mapper().readValue(result.metricsJson(), new TypeReference<Map<String, TaskMetrics>>() {}));
      if (result.attempt() > 0) {
        retries.add("'" + settings.get(result.setting()).name() + "' fold " + (result.fold() + 1) + ": Spark ran it "
            + (result.attempt() + 1) + " times (the earlier attempts' tasks failed); the report has the last attempt's metrics");
      }
    }
    TrainingData data = plan.readData();
    Folds split = plan.folds(data);
    return plan.report(bySetting, split, data, retries);
  }

  /** One run's result as it travels back to the driver. */
  record RunResult(int setting, int fold, int attempt, String metricsJson) implements Serializable {}

  /**
   * What an executor needs to train one (setting, fold) run: the plan's parts, all serializable. The
   * run trains in a child JVM: DJL's PyTorch engine allows one gradient collector per JVM at a time,
   * so two trainings cannot share an executor's JVM, while the tasks an executor runs side by side
   * (one per {@code spark.task.cpus} cores) each get a JVM of their own.
   */
  record RunTask(String config, List<String> baseOverrides, List<CrossValidation.Setting> settings, int folds)
      implements Serializable {
    RunResult train(int[] run) throws IOException, InterruptedException {
      int s = run[0];
      int fold = run[1];
      Path work = Files.createTempDirectory("mtl-cv-run");
      Path request = work.resolve("request.json");
      Path result = work.resolve("test-metrics.json");
      Files.writeString(request, JsonFiles.mapper().writeValueAsString(
          new CrossValidationRun.Request(config, baseOverrides, settings, folds, s, fold, ExecutorModels.taskCpus())));
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Dai.djl.offline=true", "-cp", classPath(), CrossValidationRun.class.getName(), request.toString(), result.toString()));
      Path log = work.resolve("run.log");
      Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      int code = child.waitFor();
      if (code != 0) {
        // What the failed attempt left is removed, so Spark's next attempt starts from nothing.
        AtomicFiles.deleteDirectory(CrossValidation.Plan.of(Path.of(config), baseOverrides, settings, folds, PluginRegistry.load())
            .runDirectory(s, fold));
        List<String> lines = Files.readAllLines(log);
        throw new IllegalStateException("cross-validation run '" + settings.get(s).name() + "' fold " + (fold + 1) + " failed (exit "
            + code + "); its output ends:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
      }
      TaskContext context = TaskContext.get();
      return new RunResult(s, fold, context == null ? 0 : context.attemptNumber(), Files.readString(result));
    }

    /** This JVM's class path and the jars Spark added for the job (an executor loads those through its own class loader). */
    private static String classPath() {
      List<String> entries = new ArrayList<>(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
      for (ClassLoader loader = Thread.currentThread().getContextClassLoader(); loader != null; loader = loader.getParent()) {
        if (loader instanceof URLClassLoader urls) {
          for (URL url : urls.getURLs()) {
            if (url.getProtocol().equals("file")) {
              String path = new java.io.File(url.getPath()).getPath();
              if (!entries.contains(path)) {
                entries.add(path);
              }
            }
          }
        }
      }
      return String.join(java.io.File.pathSeparator, entries);
    }
  }
}
