package dev.mtl.core.assembly;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.PluginChoice;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.registry.PluginKind;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.PseudoLabelSettings;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.EngineProvider;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.spi.Plugin;
import dev.mtl.core.spi.SentenceEncoderProvider;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.spi.TaskSamplerProvider;
import dev.mtl.core.spi.TextEncoderProvider;
import dev.mtl.core.store.MultiTaskModels;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoderFactory;
import dev.mtl.core.weighting.LossWeighting;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * A run config with every plugin found and created. Creating it is where a config is validated as
 * a whole: core settings, unknown plugin names, each plugin's own settings and unknown keys are
 * all collected and thrown together as one {@link dev.mtl.core.config.InvalidConfigException}.
 */
public record ResolvedRun(RunConfig config, List<Task> tasks, SharingStrategy sharing, LossWeighting weighting,
    TaskSampler sampler, TextEncoderFactory tokenizer, Engine engine, SentenceEncoder pretrained) {

  public static ResolvedRun resolve(RunConfig config, PluginRegistry registry) {
    List<Task> tasks = new ArrayList<>();
    for (RunConfig.TaskEntry entry : config.tasks()) {
      Optional<TaskProvider> provider = find(registry, TaskProvider.class, entry.type(), entry.settings(), "type");
      provider.ifPresent(p -> {
        Task task = p.create(entry.name(), entry.settings());
        if (task.dataFile(DataSplit.TRAIN).isEmpty()) {
          entry.settings().problem("train", null, "is required: the training data file of task '" + entry.name() + "'");
        }
        tasks.add(task);
      });
    }
    config.pseudoLabels().ifPresent(settings -> checkPseudoLabelTasks(config, tasks, settings));
    List<String> names = config.tasks().stream().map(RunConfig.TaskEntry::name).toList();
    SharingStrategy sharing = create(registry, SharingStrategyProvider.class, config.sharing(), p -> p.create(config.sharing().settings(), names));
    LossWeighting weighting = create(registry, LossWeightingProvider.class, config.weighting(), p -> p.create(config.weighting().settings(), names));
    TaskSampler sampler = create(registry, TaskSamplerProvider.class, config.sampling(), p -> p.create(config.sampling().settings()));
    TextEncoderFactory tokenizer = create(registry, TextEncoderProvider.class, config.tokenizer(), p -> p.create(config.tokenizer().settings()));
    Engine engine = create(registry, EngineProvider.class, config.engine(), p -> p.create(config.engine().settings()));
    checkDescribable(config, tasks, sharing, weighting, engine);
    // Opened last and only for a valid config: it loads the model.
    SentenceEncoder pretrained = null;
    if (config.pretrainedEncoder().isPresent() && config.root().source().problems().isEmpty()) {
      PluginChoice choice = config.pretrainedEncoder().get();
      pretrained = create(registry, SentenceEncoderProvider.class, choice, p -> p.create(choice.settings()));
    }
    config.root().reportUnknownKeys();
    try {
      config.root().source().throwIfInvalid();
    } catch (RuntimeException e) {
      if (pretrained != null) {
        pretrained.close();
      }
      throw e;
    }
    return new ResolvedRun(config, List.copyOf(tasks), sharing, weighting, sampler, tokenizer, engine, pretrained);
  }

  /** Resolves a config only to check it (every problem thrown at once), releasing what resolving opened. */
  public static void check(RunConfig config, PluginRegistry registry) {
    resolve(config, registry).release();
  }

  /**
   * Closes what resolving opened (the pretrained encoder), for a run resolved only for its tasks or
   * to check it; a run that trains closes it itself.
   */
  public void release() {
    if (pretrained != null) {
      pretrained.close();
    }
  }

  /** Pseudo-labels are classes: tasks with unlabelled texts must be classifications (single- or multi-label). */
  private static void checkPseudoLabelTasks(RunConfig config, List<Task> tasks, PseudoLabelSettings settings) {
    for (RunConfig.TaskEntry entry : config.tasks()) {
      tasks.stream().filter(t -> t.name().equals(entry.name()) && settings.unlabeled().containsKey(t.name())).findFirst().ifPresent(t -> {
        LossKind loss = t.output().loss();
        if (loss != LossKind.SOFTMAX_CROSS_ENTROPY && loss != LossKind.SIGMOID_BINARY_CROSS_ENTROPY) {
          entry.settings().problem(PseudoLabelSettings.TASK_KEY, "(given)", "pseudo-labels are for classification"
              + " tasks (confident labels per text); task '" + t.name() + "' is " + loss + ". Remove unlabeled from it");
        }
      });
    }
  }

  /**
   * Asks the strategy to describe the network now, so options that do not fit the model (e.g.
   * stacking a parameterless encoder) and weightings that need gradients the model cannot give
   * fail when the config loads rather than when training starts, as do features the engine does
   * not run. Whether tasks read the same texts
   * is known only once the data is read; the trainer checks that part.
   */
  private static void checkDescribable(RunConfig config, List<Task> tasks, SharingStrategy sharing, LossWeighting weighting,
      Engine engine) {
    if (sharing == null || weighting == null || tasks.size() != config.tasks().size() || !config.root().source().problems().isEmpty()) {
      return;
    }
    ModelGraph graph;
    try {
      graph = sharing.describe(config.model(), MultiTaskModels.headRequests(tasks));
    } catch (IllegalArgumentException e) {
      config.sharing().settings().problem("type", config.sharing().type(), "cannot build this model: " + e.getMessage());
      return;
    }
    GramianPlan.decide(config, weighting, graph, List.of(tasks.stream().map(Task::name).toList()));
    if (engine != null) {
      engine.unsupported(graph).ifPresent(problem -> config.engine().settings().problem("type", config.engine().type(), problem));
    }
  }

  private static <P extends Plugin, R> R create(PluginRegistry registry, Class<P> spi, PluginChoice choice, Function<P, R> factory) {
    return find(registry, spi, choice.type(), choice.settings(), "type").map(factory).orElse(null);
  }

  private static <P extends Plugin> Optional<P> find(PluginRegistry registry, Class<P> spi, String type, ConfigSection settings, String key) {
    Optional<P> plugin = registry.find(spi, type);
    if (plugin.isEmpty() && !type.isEmpty()) {
      settings.problem(key, type, "must name a known " + PluginKind.of(spi).displayName() + "; available: "
          + registry.names(PluginKind.of(spi)));
      settings.skipUnknownKeyCheck();
    }
    return plugin;
  }
}
