package dev.mtl.core.assembly;

import dev.mtl.core.engine.Engine;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.PseudoLabelSettings;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.spi.TaskSamplerProvider;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoderFactory;
import dev.mtl.core.text.TrainableEncoder;
import dev.mtl.core.weighting.LossWeighting;
import java.util.List;
import java.util.Map;

/**
 * A run config with every plugin found and created: the model's parts (see {@link ModelAssembly}),
 * the loss weighting and the task sampler. Creating it is where a config is validated as a whole:
 * core settings, unknown plugin names, each plugin's own settings, whether the sharing strategy
 * can build the model and the weighting get its gradients, and unknown keys are all collected and
 * thrown together as one {@link dev.mtl.core.config.InvalidConfigException}.
 */
public final class ResolvedRun {
  private final RunConfig config;
  private final ModelAssembly model;
  private final LossWeighting weighting;
  private final TaskSampler sampler;
  private final Map<String, String> versions;
  private final PluginRegistry registry;

  private ResolvedRun(RunConfig config, ModelAssembly model, LossWeighting weighting, TaskSampler sampler,
      Map<String, String> versions, PluginRegistry registry) {
    this.config = config;
    this.registry = registry;
    this.versions = Map.copyOf(versions);
    this.model = model;
    this.weighting = weighting;
    this.sampler = sampler;
  }

  public static ResolvedRun resolve(RunConfig config, PluginRegistry registry) {
    List<String> names = config.tasks().stream().map(RunConfig.TaskEntry::name).toList();
    Plugins plugins = new Plugins(registry);
    LossWeighting weighting = plugins.create(LossWeightingProvider.class, config.weighting(),
        p -> p.create(config.weighting().settings(), names));
    TaskSampler sampler = plugins.create(TaskSamplerProvider.class, config.sampling(), p -> p.create(config.sampling().settings()));
    // Last: with a problem found so far, it opens no pretrained encoder (which loads a model).
    ModelAssembly model = ModelAssembly.create(plugins, parts(config));
    try {
      List<Task> tasks = model.tasks();
      for (RunConfig.TaskEntry entry : config.tasks()) {
        tasks.stream().filter(t -> t.name().equals(entry.name()) && t.dataFile(DataSplit.TRAIN).isEmpty()).findFirst()
            .ifPresent(t -> entry.settings().problem("train", null, "is required: the training data file of task '" + t.name() + "'"));
      }
      config.pseudoLabels().ifPresent(settings -> checkPseudoLabelTasks(config, tasks, settings));
      if (model.graph() != null && weighting != null) {
        // Whether tasks read the same texts is known only once the data is read; the trainer checks that part.
        GramianPlan.decide(config, weighting, sampler, model.graph(), List.of(names));
        model.engine().unsupported(weighting.need()).ifPresent(problem -> config.weighting().settings()
            .problem("type", config.weighting().type(), "cannot run on engine '" + config.engine().type() + "': the engine " + problem));
      }
      config.root().reportUnknownKeys();
      config.root().source().throwIfInvalid();
      return new ResolvedRun(config, model, weighting, sampler, plugins.versions(), registry);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** The parts of the model a run config describes. */
  private static ModelAssembly.Parts parts(RunConfig config) {
    return new ModelAssembly.Parts(
        config.tasks().stream().map(t -> new ModelAssembly.TaskPart(t.name(), t.type(), t.settings())).toList(),
        config.tokenizer(), config.sharing(), config.model(), config.pretrainedEncoder(), config.engine());
  }

  /** Resolves a config only to check it (every problem thrown at once), releasing what resolving opened. */
  public static void check(RunConfig config, PluginRegistry registry) {
    resolve(config, registry).release();
  }

  /**
   * Closes what resolving opened (the pretrained encoder, the engine), for a run resolved only for
   * its tasks or to check it; a run that trains closes them itself.
   */
  public void release() {
    model.close();
  }

  public RunConfig config() {
    return config;
  }

  /** The plugins the run was resolved with, e.g. to load the models it learns from (distillation teachers). */
  public PluginRegistry registry() {
    return registry;
  }

  public List<Task> tasks() {
    return model.tasks();
  }

  public SharingStrategy sharing() {
    return model.sharing();
  }

  /** The version of every plugin the run uses, by {@code kind/name}, saved with its model. */
  public Map<String, String> versions() {
    return versions;
  }

  public LossWeighting weighting() {
    return weighting;
  }

  public TaskSampler sampler() {
    return sampler;
  }

  public TextEncoderFactory tokenizer() {
    return model.tokenizer();
  }

  public Engine engine() {
    return model.engine();
  }

  /** The frozen pretrained sentence encoder, or null. */
  public SentenceEncoder pretrained() {
    return model.pretrained();
  }

  /** The pretrained transformer fine-tuned at the bottom of the graph, or null. */
  public TrainableEncoder trainable() {
    return model.trainable();
  }

  /** The model graph the sharing strategy described for this run's tasks, described once. */
  public ModelGraph graph() {
    return model.graph();
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

}
