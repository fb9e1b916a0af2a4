package dev.mtl.core.assembly;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.GramianChoice;
import dev.mtl.core.weighting.LossWeighting;
import java.util.Comparator;
import java.util.List;

/**
 * Which Gramian of task gradients a run computes: the one its weighting needs every step, and the
 * one measured every {@code log-every} steps to record gradient conflict when the weighting needs
 * none. Choices that cannot work for the model, and samplers that cannot give the weighting the
 * tasks it needs in a step, are recorded as config problems, so they fail before training with
 * the setting's file and line.
 *
 * @param everyStep what the weighting needs ({@link GradientNeed#LOSSES_ONLY} for none)
 * @param forRecord what is measured at logged steps when {@code everyStep} is losses only
 */
public record GramianPlan(GradientNeed everyStep, GradientNeed forRecord) {

  /**
   * @param sampler which sources train in each step
   * @param sources the tasks of each training batch; before the data is read, one group of all
   *     tasks (the check then covers what the model graph alone decides)
   */
  public static GramianPlan decide(RunConfig config, LossWeighting weighting, TaskSampler sampler, ModelGraph graph,
      List<List<String>> sources) {
    GradientNeed need = weighting.need();
    checkSampler(config, weighting, sampler, sources);
    if (need != GradientNeed.LOSSES_ONLY) {
      GramianChoice.problem(need, graph, sources).ifPresent(problem -> {
        ConfigSection settings = config.weighting().settings();
        String key = settings.has("gramian") ? "gramian" : "type";
        settings.problem(key, settings.has("gramian") ? settings.values().get("gramian") : config.weighting().type(),
            "cannot work here: weighting '" + config.weighting().type() + "' needs the Gramian of task gradients "
            + describe(need) + ", but " + problem);
      });
      return new GramianPlan(need, GradientNeed.LOSSES_ONLY);
    }
    String choice = config.training().gradientConflict();
    return switch (choice) {
      case "none" -> new GramianPlan(need, GradientNeed.LOSSES_ONLY);
      case "auto" -> {
        for (GradientNeed candidate : List.of(GradientNeed.GRAMIAN_ON_REPRESENTATION, GradientNeed.GRAMIAN_ON_PARAMETERS)) {
          if (GramianChoice.problem(candidate, graph, sources).isEmpty()) {
            yield new GramianPlan(need, candidate);
          }
        }
        yield new GramianPlan(need, GradientNeed.LOSSES_ONLY);
      }
      default -> {
        GradientNeed asked = choice.equals("representation") ? GradientNeed.GRAMIAN_ON_REPRESENTATION : GradientNeed.GRAMIAN_ON_PARAMETERS;
        GramianChoice.problem(asked, graph, sources).ifPresent(problem -> config.root().problem("training.gradient-conflict", choice,
            "cannot be measured here: " + problem.replace("set 'gramian: parameters'", "set 'gradient-conflict: parameters'")));
        yield new GramianPlan(need, asked);
      }
    };
  }

  /**
   * Whether the sampler gives the weighting the tasks it needs in a step. A weighting that keeps
   * state over all the run's tasks refuses a step that trains some of them, so it needs every
   * source in every step. A weighting of task gradients needs steps that train two or more tasks;
   * with one source per step and one task per source it would see a single task's gradient every
   * step and change nothing.
   */
  private static void checkSampler(RunConfig config, LossWeighting weighting, TaskSampler sampler, List<List<String>> sources) {
    int mostSources = sampler.mostSourcesPerStep(sources.size());
    int tasks = sources.stream().mapToInt(List::size).sum();
    int mostTasksPerStep = sources.stream().map(List::size).sorted(Comparator.reverseOrder()).limit(mostSources)
        .mapToInt(Integer::intValue).sum();
    String why;
    if (weighting.needsEveryTaskEachStep() && mostSources < sources.size()) {
      why = ", but the weighting keeps its state over all the run's tasks together and needs every task in every step; use"
          + " sampling: all, or another weighting";
    } else if (weighting.need() != GradientNeed.LOSSES_ONLY && tasks > 1 && mostTasksPerStep < 2) {
      why = " and each holds one task, so the weighting, which combines the gradients of the tasks trained in one step, would"
          + " see one task at a time and change nothing; use sampling: all, or " + GramianChoice.LOSSES_ONLY_CHOICE;
    } else {
      return;
    }
    config.sampling().settings().problem("type", config.sampling().type(), "cannot go with weighting '" + config.weighting().type()
        + "': it trains " + mostSources + " of the " + sources.size() + " data sources " + sources + " per step" + why);
  }

  private static String describe(GradientNeed need) {
    return need.onRepresentation() ? "on the shared representation" : "on the shared parameters";
  }

  /** What to compute at {@code step}: the weighting's need, or the record's at logged steps. */
  public GradientNeed measureAt(long step, int logEvery) {
    return step % logEvery == 0 ? forRecord : GradientNeed.LOSSES_ONLY;
  }
}
