package dev.mtl.core.training;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.Distillation;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The teachers' scores on the training texts ({@link Distillation}), computed once before training,
 * and the targets a step trains on: each labelled row's gold label mixed with its teacher's scores.
 * Softmax targets become class distributions, which every engine's cross-entropy takes as they are.
 */
final class TeacherTargets {
  private final Distillation distillation;
  private final Map<String, OutputSpec> outputs;
  /** Per training source, per task that has a teacher: the teacher's scores, one row per text of the source. */
  private final List<Map<String, float[][]>> scores;

  /**
   * Teachers' scores already computed.
   *
   * @param outputs every task's outputs, by name
   * @param scores per training source, per task with a teacher, the teacher's scores: a row per text
   */
  TeacherTargets(Distillation distillation, Map<String, OutputSpec> outputs, List<Map<String, float[][]>> scores) {
    this.distillation = distillation;
    this.outputs = Map.copyOf(outputs);
    this.scores = List.copyOf(scores);
  }

  /**
   * Loads each teacher and scores its task's training texts.
   *
   * @param engineSettings settings over the teachers' own engine settings, e.g. the run's device (a
   *     teacher trained on a GPU scores on the CPU the run trains on)
   * @throws TrainingException naming the teacher's folder when it is missing, lacks the task, or
   *     has other outputs than the task
   */
  static TeacherTargets score(Distillation distillation, List<Task> tasks, List<DataSource> sources, PluginRegistry registry,
      Map<String, Object> engineSettings) throws IOException {
    List<Map<String, float[][]>> scores = new ArrayList<>();
    sources.forEach(source -> scores.add(new LinkedHashMap<>()));
    for (Task task : tasks) {
      Path folder = distillation.teachers().get(task.name());
      if (folder == null) {
        continue;
      }
      if (!Files.isDirectory(folder)) {
        throw new TrainingException("training.distill: the teacher of task '" + task.name() + "', " + folder.toAbsolutePath()
            + ", does not exist" + (distillation.fromSingleTask()
                ? "; `mtl train` trains the single-task teachers first, or run `mtl train <config> --single-task`"
                : "; train it first, or name another model folder"));
      }
      try (MultiTaskModel teacher = MultiTaskModel.load(folder, registry, engineSettings)) {
        check(task, teacher, folder);
        for (int s = 0; s < sources.size(); s++) {
          DataSource source = sources.get(s);
          if (source.tasks().contains(task.name())) {
            scores.get(s).put(task.name(), teacher.scores(source.texts()).get(task.name()));
          }
        }
      }
    }
    Map<String, OutputSpec> outputs = new LinkedHashMap<>();
    tasks.forEach(task -> outputs.put(task.name(), task.output()));
    return new TeacherTargets(distillation, outputs, scores);
  }

  /** The teacher must have the task, with the same outputs in the same order and the same loss. */
  private static void check(Task task, MultiTaskModel teacher, Path folder) {
    if (!teacher.tasks().contains(task.name())) {
      throw new TrainingException("training.distill: the teacher of task '" + task.name() + "' in " + folder.toAbsolutePath()
          + " has no task of that name; its tasks are " + teacher.tasks());
    }
    OutputSpec mine = task.output();
    OutputSpec theirs = teacher.task(task.name()).output();
    if (mine.loss() != theirs.loss() || !mine.names().equals(theirs.names())) {
      throw new TrainingException("training.distill: the teacher of task '" + task.name() + "' in " + folder.toAbsolutePath()
          + " predicts " + theirs.names() + " (" + theirs.loss() + ") but the task has " + mine.names() + " (" + mine.loss()
          + "); a teacher must be trained on the same labels, in the same order");
    }
  }

  /** The batch of {@code source} at {@code indices} with its tasks' targets mixed for {@code step} of {@code totalSteps}. */
  SourceBatch mix(int source, int[] indices, SourceBatch batch, long step, long totalSteps) {
    Map<String, float[][]> taught = scores.get(source);
    if (taught.isEmpty()) {
      return batch;
    }
    double gold = distillation.goldWeight(step, totalSteps);
    Map<String, float[][]> targets = new LinkedHashMap<>(batch.targets());
    taught.forEach((task, teacher) -> {
      float[][] given = batch.targets().get(task);
      float[][] mixed = new float[given.length][];
      for (int i = 0; i < given.length; i++) {
        mixed[i] = TaskData.isLabelled(given[i]) ? mixed(outputs.get(task), given[i], teacher[indices[i]], gold) : given[i];
      }
      targets.put(task, mixed);
    });
    return new SourceBatch(batch.tokens(), targets, batch.rowWeights());
  }

  /** {@code gold} times the label (one-hot for a class index) plus the rest times the teacher's scores. */
  static float[] mixed(OutputSpec output, float[] label, float[] teacher, double gold) {
    float[] out = new float[output.size()];
    boolean index = output.loss() == LossKind.SOFTMAX_CROSS_ENTROPY;
    for (int j = 0; j < out.length; j++) {
      double value = index ? ((int) label[0] == j ? 1 : 0) : label[j];
      out[j] = (float) (gold * value + (1 - gold) * teacher[j]);
    }
    return out;
  }
}
