package dev.mtl.core.run;

import dev.mtl.core.config.ConfigSection;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Distillation from single-task teachers (Clark et al., ACL 2019, "BAM! Born-Again Multi-Task
 * Networks for Natural Language Understanding"), from {@code training.distill}: before the first
 * step each teacher model scores its task's training texts, and the multi-task model learns from a
 * mix of those scores and the gold labels. With teacher annealing (the default) the mix moves from
 * the teacher alone at the first step to the gold label alone at the last, so the student can end
 * up better than its teachers; without it the student learns from the teachers' scores only.
 *
 * <pre>
 * training:
 *   distill: {teachers: single-task}            # the models `mtl train --single-task` writes, trained first when missing
 *   distill: {teachers: {sst2: models/sst2}}    # or a model folder per task (tasks without one learn from gold labels)
 * </pre>
 *
 * @param teachers per task, the folder of the model that teaches it (a model that has a task of the
 *     same name and outputs)
 * @param fromSingleTask true when the teachers are the run's own single-task baselines ({@code
 *     teachers: single-task}), which {@code mtl train} trains first when they are missing
 * @param anneal true: teacher annealing; false: the teachers' scores only
 */
public record Distillation(Map<String, Path> teachers, boolean fromSingleTask, boolean anneal) {
  /** The value of {@code teachers} that names the run's own single-task baselines. */
  public static final String SINGLE_TASK = "single-task";

  public Distillation {
    teachers = Map.copyOf(teachers);
  }

  /**
   * The settings, or empty when the config has no {@code distill} section.
   *
   * @param singleTaskDir where the run's single-task baselines are written, each task's model in
   *     {@code <task>/model}
   */
  public static Optional<Distillation> read(ConfigSection training, List<String> tasks, Path singleTaskDir) {
    if (!training.has("distill")) {
      return Optional.empty();
    }
    ConfigSection section = training.section("distill");
    boolean anneal = section.bool("anneal", true);
    Object given = section.values().get("teachers");
    Map<String, Path> teachers = new LinkedHashMap<>();
    if (SINGLE_TASK.equals(given)) {
      section.string("teachers", SINGLE_TASK);
      tasks.forEach(task -> teachers.put(task, singleTaskDir.resolve(task).resolve("model")));
      return Optional.of(new Distillation(teachers, true, anneal));
    }
    if (!(given instanceof Map<?, ?>)) {
      section.problem("teachers", given, "must be single-task (the models `mtl train --single-task` writes) or a map of task"
          + " names to model folders, e.g. {" + (tasks.isEmpty() ? "task" : tasks.get(0)) + ": runs/alone/model}");
      return Optional.empty();
    }
    ConfigSection byTask = section.section("teachers");
    for (Object key : ((Map<?, ?>) given).keySet()) {
      String task = String.valueOf(key);
      if (!tasks.contains(task)) {
        byTask.problem(task, byTask.values().get(key), "is not a task of this run " + tasks + "; name the task a teacher teaches");
        byTask.path(task, false); // read, so the unknown-key check does not report it a second time
        continue;
      }
      byTask.path(task, true).ifPresent(folder -> teachers.put(task, folder));
    }
    return Optional.of(new Distillation(teachers, false, anneal));
  }

  /**
   * The weight of the gold label in a training target at {@code step} of {@code totalSteps}; the
   * teacher's scores get the rest. Annealed: 0 at the first step, rising linearly to 1 at the last.
   */
  public double goldWeight(long step, long totalSteps) {
    if (!anneal) {
      return 0;
    }
    return totalSteps <= 1 ? 1 : Math.min(1, (double) step / (totalSteps - 1));
  }
}
