package dev.mtl.core.assembly;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.ConfigSource;
import dev.mtl.core.config.PluginChoice;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.spi.EngineProvider;
import dev.mtl.core.spi.Plugin;
import dev.mtl.core.spi.SentenceEncoderProvider;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.spi.TextEncoderProvider;
import dev.mtl.core.store.ModelManifest;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoderFactory;
import dev.mtl.core.text.TrainableEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The plugins a model is made of, created once from their settings, whether those come from a run
 * config (to train) or from a saved model's manifest (to predict): its tasks, tokenizer, sharing
 * strategy, pretrained sentence encoder, engine, and the model graph the strategy describes for
 * them. The one place a model is assembled.
 *
 * <p>Problems are recorded on the settings' config source, never thrown here, so a config reports
 * every problem at once; the caller throws them (see {@link dev.mtl.core.config.ConfigSource#throwIfInvalid})
 * and {@link #close closes} the assembly if it does not go on. The pretrained encoder (which loads
 * a model) is opened, and the graph described, only when no problem was found before.
 */
public final class ModelAssembly implements AutoCloseable {
  /** A task to create: its name, plugin type and settings. */
  public record TaskPart(String name, String type, ConfigSection settings) {}

  /**
   * What a model is made of.
   *
   * @param sharing the sharing strategy, or null for a model made outside mtl (served as it is)
   * @param model the model's sizes; its pretrained width is set from the encoder here
   * @param pretrainedEncoder the frozen sentence encoder at the bottom, if any
   */
  public record Parts(List<TaskPart> tasks, PluginChoice tokenizer, PluginChoice sharing, ModelSpec model,
      Optional<PluginChoice> pretrainedEncoder, PluginChoice engine) {

    /**
     * The parts a saved model's manifest names, with {@code engineSettings} over the engine's
     * trained ones. Their settings' paths must stay inside {@code directory}.
     */
    public static Parts of(ModelManifest manifest, Path directory, Map<String, Object> engineSettings) {
      ConfigSource source = ConfigSource.insideOf(directory.resolve(ModelManifest.FILE_NAME).toString(), directory);
      List<TaskPart> tasks = manifest.tasks().stream()
          .map(t -> new TaskPart(t.name(), t.type(), new ConfigSection(source, "tasks." + t.name(), values(t.settings())))).toList();
      ConfigSection model = new ConfigSection(source, "model", values(manifest.model()));
      Optional<PluginChoice> pretrained = model.has(ModelSpec.PRETRAINED_ENCODER)
          ? Optional.of(PluginChoice.read(model, ModelSpec.PRETRAINED_ENCODER, RunConfig.DEFAULT_PRETRAINED_ENCODER)) : Optional.empty();
      Map<String, Object> engine = new LinkedHashMap<>(values(manifest.engine().settings()));
      engine.putAll(engineSettings);
      return new Parts(tasks, choice(source, "tokenizer", manifest.tokenizer()),
          manifest.sharing() == null ? null : choice(source, "sharing", manifest.sharing()), ModelSpec.read(model), pretrained,
          new PluginChoice(manifest.engine().type(), new ConfigSection(source, "engine", engine)));
    }

    private static PluginChoice choice(ConfigSource source, String key, ModelManifest.Plugin plugin) {
      return new PluginChoice(plugin.type(), new ConfigSection(source, key, values(plugin.settings())));
    }

    private static Map<String, Object> values(Map<String, Object> values) {
      return values == null ? Map.of() : values;
    }
  }

  private final List<Task> tasks;
  private final TextEncoderFactory tokenizer;
  private final SharingStrategy sharing;
  private final SentenceEncoder pretrained;
  private final TrainableEncoder trainable;
  private final Engine engine;
  private final ModelGraph graph;
  private final Map<String, String> versions;

  private ModelAssembly(List<Task> tasks, TextEncoderFactory tokenizer, SharingStrategy sharing, SentenceEncoder pretrained,
      TrainableEncoder trainable, Engine engine, ModelGraph graph, Map<String, String> versions) {
    this.tasks = List.copyOf(tasks);
    this.trainable = trainable;
    this.versions = Map.copyOf(versions);
    this.tokenizer = tokenizer;
    this.sharing = sharing;
    this.pretrained = pretrained;
    this.engine = engine;
    this.graph = graph;
  }

  /** Creates every plugin of {@code parts} and describes the graph; problems go to the parts' config source. */
  public static ModelAssembly create(PluginRegistry registry, Parts parts) {
    return create(new Plugins(registry), parts);
  }

  static ModelAssembly create(Plugins plugins, Parts parts) {
    List<Task> tasks = new ArrayList<>();
    for (TaskPart part : parts.tasks()) {
      plugins.find(TaskProvider.class, part.type(), part.settings()).ifPresent(p -> tasks.add(p.create(part.name(), part.settings())));
    }
    List<String> names = parts.tasks().stream().map(TaskPart::name).toList();
    TextEncoderFactory tokenizer = plugins.create(TextEncoderProvider.class, parts.tokenizer(),
        p -> p.create(parts.tokenizer().settings()));
    SharingStrategy sharing = parts.sharing() == null ? null
        : plugins.create(SharingStrategyProvider.class, parts.sharing(), p -> p.create(parts.sharing().settings(), names));
    ModelSpec spec = parts.model();
    TrainableEncoder trainable = null;
    boolean fineTune = parts.pretrainedEncoder().isPresent() && ModelSpec.fineTunes(parts.pretrainedEncoder().get().settings().values());
    Engine engine = plugins.create(EngineProvider.class, parts.engine(), p -> p.create(parts.engine().settings()));
    ConfigSection anySettings = parts.engine().settings();
    SentenceEncoder pretrained = null;
    ModelGraph graph = null;
    boolean complete = tasks.size() == names.size() && tokenizer != null && engine != null && (parts.sharing() == null || sharing != null);
    if (complete && anySettings.source().problems().isEmpty()) {
      // The one place tasks read data for themselves (e.g. label names a config leaves out); a saved
      // model's tasks have everything in their settings and no train file.
      tasks.forEach(task -> task.dataFile(DataSplit.TRAIN).ifPresent(task::fit));
      if (fineTune) {
        // A transformer to fine-tune reads its own tokenizer's ids, whatever the run's tokenizer says.
        PluginChoice choice = parts.pretrainedEncoder().get();
        trainable = plugins.create(SentenceEncoderProvider.class, choice, p -> p.trainable(choice.settings()));
        if (trainable != null) {
          tokenizer = trainable.tokenizer();
          spec = spec.withTransformer(trainable.shape(), trainable.trainLayers());
        }
      } else if (parts.pretrainedEncoder().isPresent()) {
        PluginChoice choice = parts.pretrainedEncoder().get();
        pretrained = plugins.create(SentenceEncoderProvider.class, choice, p -> p.create(choice.settings()));
        if (pretrained != null) {
          spec = spec.withPretrainedWidth(pretrained.width());
        }
      }
      if (sharing != null && anySettings.source().problems().isEmpty()) {
        graph = describe(parts, sharing, spec, tasks);
        if (graph != null) {
          ModelGraph described = graph;
          engine.unsupported(described).ifPresent(problem -> parts.engine().settings().problem("type", parts.engine().type(), problem));
        }
      }
    }
    return new ModelAssembly(tasks, tokenizer, sharing, pretrained, trainable, engine, graph, plugins.versions());
  }

  private static ModelGraph describe(Parts parts, SharingStrategy sharing, ModelSpec spec, List<Task> tasks) {
    try {
      return sharing.describe(spec, tasks.stream().map(t -> new SharingStrategy.HeadRequest(t.name(), t.output())).toList());
    } catch (IllegalArgumentException e) {
      parts.sharing().settings().problem("type", parts.sharing().type(), "cannot build this model: " + e.getMessage());
      return null;
    }
  }

  public List<Task> tasks() {
    return tasks;
  }

  public TextEncoderFactory tokenizer() {
    return tokenizer;
  }

  /** The sharing strategy, or null for a model made outside mtl. */
  public SharingStrategy sharing() {
    return sharing;
  }

  /** The frozen pretrained sentence encoder, or null. */
  public SentenceEncoder pretrained() {
    return pretrained;
  }

  /** The pretrained transformer fine-tuned at the bottom of the graph, or null. */
  public TrainableEncoder trainable() {
    return trainable;
  }

  public Engine engine() {
    return engine;
  }

  /** The graph the sharing strategy described (the pretrained width filled in), or null without a strategy. */
  public ModelGraph graph() {
    return graph;
  }

  /** The version of each plugin the model is built from, by {@code kind/name} (e.g. {@code sharing/hard}). */
  public Map<String, String> versions() {
    return versions;
  }

  /** Closes what assembling opened: the pretrained encoder and the engine. */
  @Override
  public void close() {
    try {
      if (pretrained != null) {
        pretrained.close();
      }
    } finally {
      if (engine != null) {
        engine.close();
      }
    }
  }
}
