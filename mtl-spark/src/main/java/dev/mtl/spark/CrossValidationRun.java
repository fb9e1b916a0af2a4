package dev.mtl.spark;

import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.training.CrossValidation;
import dev.mtl.core.training.MultiTaskTrainer;
import dev.mtl.core.training.TrainingData;
import dev.mtl.core.training.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One cross-validation run in a JVM of its own, started by a Spark task ({@link
 * DistributedCrossValidation}): reads the request, trains the setting on the fold, writes the test
 * metrics as JSON.
 *
 * <pre>CrossValidationRun REQUEST_JSON RESULT_JSON</pre>
 */
public final class CrossValidationRun {
  /** A run as the Spark task describes it. */
  public record Request(String config, List<String> baseOverrides, List<CrossValidation.Setting> settings, int folds, int setting,
      int fold, int threads) {}

  private CrossValidationRun() {}

  public static void main(String[] args) throws Exception {
    Request request = JsonFiles.mapper().readValue(Files.readString(Path.of(args[0])), Request.class);
    PluginRegistry registry = PluginRegistry.load();
    CrossValidation.Plan plan = CrossValidation.Plan.of(Path.of(request.config()), request.baseOverrides(), request.settings(),
        request.folds(), registry);
    TrainingData data = plan.readData();
    TrainingData foldData = plan.folds(data).split(data, request.fold());
    Map<String, TaskMetrics> test = plan.train(new MultiTaskTrainer(), request.setting(), request.fold(), foldData, registry,
        new TrainingListener() {}, "engine.threads=" + request.threads());
    AtomicFiles.writeString(Path.of(args[1]), JsonFiles.mapper().writeValueAsString(test));
    System.exit(0); // the engines' native threads would keep the JVM alive
  }
}
