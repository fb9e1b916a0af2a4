package dev.mtl.spark;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.registry.PluginRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * The models loaded in this JVM, one per model directory: an executor loads a model the first time
 * one of its tasks needs it and every later task (partition) of any job reuses it. Loading (engine
 * start, parameters, tokenizer) takes seconds; a prediction takes milliseconds. PyTorch runs
 * {@code spark.task.cpus} intra-op threads (the first model a JVM loads sets it for the process).
 */
public final class ExecutorModels {
  private static final Map<Path, MultiTaskModel> MODELS = new ConcurrentHashMap<>();
  private static final Map<Path, AtomicInteger> LOADS = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  /** The model in {@code directory}, loaded on first use in this JVM. */
  public static MultiTaskModel get(Path directory) {
    return MODELS.computeIfAbsent(directory.toAbsolutePath().normalize(), dir -> {
      try {
        // One intra-op thread per core a Spark task holds: tasks run side by side on an executor's cores.
        MultiTaskModel model = MultiTaskModel.load(dir, PluginRegistry.load(), Map.of("threads", taskCpus()));
        LOADS.computeIfAbsent(dir, k -> new AtomicInteger()).incrementAndGet();
        return model;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load the model in " + dir + " on this executor: " + e.getMessage(), e);
      }
    });
  }

  /** Cores per Spark task ({@code spark.task.cpus}, 1 unless set). */
  static int taskCpus() {
    TaskContext task = TaskContext.get();
    if (task != null) {
      return Math.max(1, task.cpus());
    }
    SparkEnv env = SparkEnv.get();
    return env == null ? 1 : Math.max(1, env.conf().getInt("spark.task.cpus", 1));
  }

  /** How many times this JVM has loaded the model in {@code directory} (at most 1). */
  public static int loads(Path directory) {
    AtomicInteger count = LOADS.get(directory.toAbsolutePath().normalize());
    return count == null ? 0 : count.get();
  }
}
