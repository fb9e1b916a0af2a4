package dev.mtl.core.training;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.config.ConfigOverrides;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.Baselines;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains each task of a run alone, as the run's baselines: the same model settings, hard sharing
 * (a single network), equal weighting, and the same budget (epochs and steps per epoch of the
 * multi-task run, so each task sees as many of its batches alone as together). Writes each run to
 * {@code <output>/single-task/<task>/} and the metrics to {@code <output>/single-task/baselines.json},
 * which later multi-task runs of the config compare with.
 */
public final class SingleTaskBaselines {
  private static final YAMLMapper YAML = new YAMLMapper();
  private final MultiTaskTrainer trainer = new MultiTaskTrainer();

  /** Listens to each task's run; {@code task} says which. */
  public interface Listener {
    TrainingListener forTask(String task, int stepsPerEpoch);
  }

  /** Where {@link #train} writes the baselines of a config. */
  public static Path file(RunConfig config) {
    return config.outputDirectory().resolve(RunConfig.SINGLE_TASK_DIR).resolve(Baselines.FILE_NAME);
  }

  public Baselines train(RunConfig config, PluginRegistry registry, Listener listener) throws IOException {
    ResolvedRun full = ResolvedRun.resolve(config, registry);
    int steps = multiTaskStepsPerEpoch(full);
    Map<String, TaskMetrics> test = new LinkedHashMap<>();
    Map<String, TaskMetrics> dev = new LinkedHashMap<>();
    for (int i = 0; i < config.tasks().size(); i++) {
      String task = config.tasks().get(i).name();
      Map<String, Object> values = singleTaskValues(config, i, steps);
      ConfigSection root = ConfigSection.of(config.root().source().name() + " (single task " + task + ")",
          config.root().source().baseDirectory(), values);
      RunConfig single = RunConfig.read(root, config.name() + "-" + task);
      TrainingReport report;
      try {
        report = trainer.train(ResolvedRun.resolve(single, registry), listener.forTask(task, steps));
      } catch (StopRequestedException stop) {
        throw new StopRequestedException("single-task baselines stopped by a signal while training task '" + task
            + "'; they cannot be resumed: run mtl train --single-task again");
      }
      if (report.test().containsKey(task)) {
        test.put(task, report.test().get(task));
      }
      if (report.dev().containsKey(task)) {
        dev.put(task, report.dev().get(task));
      }
    }
    Baselines baselines = new Baselines(test, dev);
    baselines.write(file(config));
    return baselines;
  }

  /**
   * The tasks whose single-task run in {@code <output>/single-task/<task>/} was trained from another
   * config than {@link #train} would use now (the run's model, data, tokenizer or training settings
   * changed since), or is not there. Engine settings (threads, device) do not count.
   */
  public List<String> outdated(ResolvedRun run) throws IOException {
    RunConfig config = run.config();
    int steps = multiTaskStepsPerEpoch(run);
    Path folder = config.outputDirectory().resolve(RunConfig.SINGLE_TASK_DIR);
    List<String> outdated = new ArrayList<>();
    for (int i = 0; i < config.tasks().size(); i++) {
      String task = config.tasks().get(i).name();
      Path stored = folder.resolve(task).resolve("config.yaml");
      if (!Files.isRegularFile(stored) || !withoutEngine(YAML.readValue(stored.toFile(), Map.class))
          .equals(withoutEngine(YAML.readValue(YAML.writeValueAsString(singleTaskValues(config, i, steps)), Map.class)))) {
        outdated.add(task);
      }
    }
    return outdated;
  }

  private static Map<?, ?> withoutEngine(Map<?, ?> values) {
    Map<Object, Object> copy = new LinkedHashMap<>(values);
    copy.remove("engine");
    return copy;
  }

  /**
   * Task {@code i}'s baseline config: the run's, with that task alone, hard sharing, equal weights,
   * the multi-task run's steps per epoch, its own output folder and no teachers.
   */
  private static Map<String, Object> singleTaskValues(RunConfig config, int i, int steps) {
    List<?> taskMaps = (List<?>) config.root().values().get("tasks");
    String task = config.tasks().get(i).name();
    Map<String, Object> values = ConfigOverrides.copy(config.root().values());
    values.put("tasks", List.of(taskMaps.get(i)));
    values.put("sharing", "hard");
    values.put("weighting", "equal");
    values.put("output", config.outputDirectory().resolve(RunConfig.SINGLE_TASK_DIR).resolve(task).toAbsolutePath().toString());
    values.remove("baselines");
    @SuppressWarnings("unchecked")
    Map<String, Object> training = values.get("training") instanceof Map<?, ?> m ? (Map<String, Object>) m : new LinkedHashMap<>();
    training.put("steps-per-epoch", steps);
    // A baseline learns from its labels alone: it may be the teacher of the run that distils.
    training.remove("distill");
    values.put("training", training);
    return values;
  }

  /** The steps per epoch the multi-task run takes, from its training sources (tasks over one corpus count once). */
  private static int multiTaskStepsPerEpoch(ResolvedRun run) {
    Map<List<String>, Integer> corpora = new LinkedHashMap<>();
    for (Task task : run.tasks()) {
      Path train = task.dataFile(DataSplit.TRAIN).orElseThrow();
      TaskData data = task.read(train);
      corpora.put(data.texts(), data.size());
    }
    int[] sizes = new ArrayList<>(corpora.values()).stream().mapToInt(Integer::intValue).toArray();
    return run.config().training().stepsPerEpoch(sizes, run.sampler());
  }
}
