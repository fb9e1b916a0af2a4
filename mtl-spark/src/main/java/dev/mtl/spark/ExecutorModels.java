package dev.mtl.spark;

import dev.mtl.core.api.MultiTaskModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models loaded in this JVM, one per model directory: an executor loads a model the first time
 * one of its tasks needs it and every later task (partition) of any job reuses it. Loading (engine
 * start, parameters, tokenizer) takes seconds; a prediction takes milliseconds.
 */
public final class ExecutorModels {
  private static final Map<Path, MultiTaskModel> MODELS = new ConcurrentHashMap<>();
  private static final Map<Path, AtomicInteger> LOADS = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  /** The model in {@code directory}, loaded on first use in this JVM. */
  public static MultiTaskModel get(Path directory) {
    return MODELS.computeIfAbsent(directory.toAbsolutePath().normalize(), dir -> {
      try {
        MultiTaskModel model = MultiTaskModel.load(dir);
        LOADS.computeIfAbsent(dir, k -> new AtomicInteger()).incrementAndGet();
        return model;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load the model in " + dir + " on this executor: " + e.getMessage(), e);
      }
    });
  }

  /** How many times this JVM has loaded the model in {@code directory} (at most 1). */
  public static int loads(Path directory) {
    AtomicInteger count = LOADS.get(directory.toAbsolutePath().normalize());
    return count == null ? 0 : count.get();
  }
}
