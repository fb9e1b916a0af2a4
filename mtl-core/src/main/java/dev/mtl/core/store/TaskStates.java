package dev.mtl.core.store;

import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.Head;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Per-task parameter sets in a model folder: {@code parameters/tasks/<task>/} holds what {@link
 * Network#save} wrote for the model as it was when that task was best on dev (per-task selection)
 * or after that task's own fine-tuning. A task with such a set is predicted by its own network; the
 * others by the model's common {@code parameters/}. Each set is a whole model, so memory and disk
 * grow by one model per task that has one.
 */
public final class TaskStates {
  /** Sub-folder of {@code parameters/} holding one folder per task with a state of its own. */
  public static final String DIR = "tasks";

  private TaskStates() {}

  /** The tasks with their own parameter set in {@code parametersDir}, in any order. */
  public static List<String> tasksIn(Path parametersDir) throws IOException {
    Path dir = parametersDir.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * The network of a saved model: the engine's own when no task has a state of its own, else one
   * that predicts each task with its own parameters (and the common ones for the rest).
   *
   * @throws IOException if a task folder names no task of the model, or a parameter file is damaged
   */
  public static Network load(Engine engine, NetworkSpec spec, Path parametersDir) throws IOException {
    List<String> own = tasksIn(parametersDir);
    if (own.isEmpty()) {
      return engine.load(spec, parametersDir);
    }
    List<String> tasks = spec.graph().heads().stream().map(Head::task).toList();
    for (String task : own) {
      if (!tasks.contains(task)) {
        throw new IOException(parametersDir.resolve(DIR).resolve(task) + " holds parameters of task '" + task + "', which the model does"
            + " not have (its tasks are " + tasks + "). The model directory does not match its manifest; retrain or restore it.");
      }
    }
    Map<String, Network> byTask = new LinkedHashMap<>();
    Network common = null;
    try {
      for (String task : own) {
        byTask.put(task, engine.load(spec, parametersDir.resolve(DIR).resolve(task)));
      }
      // The common parameters only where some task has none of its own.
      if (!byTask.keySet().containsAll(tasks)) {
        common = engine.load(spec, parametersDir);
      }
    } catch (IOException | RuntimeException e) {
      byTask.values().forEach(Network::close);
      throw e;
    }
    return new Routed(common, byTask);
  }

  /** Predicts each task with its own network where it has one; a model to serve, not to train. */
  private static final class Routed implements Network {
    private final Network common;
    private final Map<String, Network> byTask;

    Routed(Network common, Map<String, Network> byTask) {
      this.common = common;
      this.byTask = byTask;
    }

    @Override
    public Map<String, float[][]> predict(TokenBatch tokens, Collection<String> tasks) {
      Map<String, float[][]> scores = new LinkedHashMap<>();
      List<String> rest = new ArrayList<>();
      for (String task : tasks) {
        Network own = byTask.get(task);
        if (own == null) {
          rest.add(task);
        } else {
          scores.putAll(own.predict(tokens, List.of(task)));
        }
      }
      if (!rest.isEmpty()) {
        scores.putAll(common.predict(tokens, rest));
      }
      Map<String, float[][]> ordered = new LinkedHashMap<>();
      tasks.forEach(task -> ordered.put(task, scores.get(task)));
      return ordered;
    }

    @Override
    public StepResult trainStep(TrainStep step) {
      throw new UnsupportedOperationException("a model with per-task parameter sets only predicts; train with mtl train");
    }

    @Override
    public void save(Path directory) {
      throw new UnsupportedOperationException("a model with per-task parameter sets is saved by the trainer, task by task");
    }

    @Override
    public void saveCheckpoint(Path directory) {
      throw new UnsupportedOperationException("a model with per-task parameter sets only predicts");
    }

    @Override
    public long parameterCount() {
      return (common != null ? common : byTask.values().iterator().next()).parameterCount();
    }

    @Override
    public void close() {
      if (common != null) {
        common.close();
      }
      byTask.values().forEach(Network::close);
    }
  }
}
