package dev.mtl.core.run;

import dev.mtl.core.config.ConfigOverrides;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.ConfigSource;
import dev.mtl.core.config.TaskDefaults;
import dev.mtl.core.config.PluginChoice;
import dev.mtl.core.config.YamlConfigReader;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.text.WordVectorSettings;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A training run, as a user writes it in YAML (see {@code examples/}). Reading records problems on
 * the shared {@link ConfigSource} instead of throwing; plugin settings are checked when the plugins
 * are created, and then every problem is reported together.
 *
 * @param root the whole file, for saving it with the model
 * @param name run name, by default the config file's name
 * @param seed seeds initialisation, dropout and data order
 * @param outputDirectory where the run writes its model and reports
 * @param tasks the tasks, each with its plugin type and settings
 * @param pretrainedEncoder {@code model.pretrained-encoder}: the pretrained sentence encoder at the
 *     bottom of the stack, if any
 * @param wordVectors {@code model.word-vectors}: pretrained word vectors for the token embeddings
 * @param baselines the single-task baselines file runs are compared with (by default the one
 *     {@code mtl train --single-task} writes into the output folder)
 * @param pseudoLabels {@code pseudo-labels} with the tasks' {@code unlabeled} texts, if given
 * @param priorHeadBias {@code model.head-bias: prior}: every head's bias starts at its training
 *     targets' average ({@link dev.mtl.core.assembly.HeadPriors}); otherwise ({@code random}, the
 *     default) at its layout's random draw, as its weights do
 */
public record RunConfig(ConfigSection root, String name, long seed, Path outputDirectory, List<TaskEntry> tasks,
    PluginChoice tokenizer, ModelSpec model, PluginChoice sharing, PluginChoice weighting, PluginChoice sampling,
    TrainingSettings training, PluginChoice engine, Optional<PluginChoice> pretrainedEncoder,
    Optional<WordVectorSettings> wordVectors, Path baselines,
    Optional<PseudoLabelSettings> pseudoLabels, boolean priorHeadBias) {

  /** One task of the run: its name, its plugin type and the settings passed to that plugin. */
  /**
   * One task of the run.
   *
   * @param holdout dev and test rows carved from the train file ({@code holdout}), or null
   */
  public record TaskEntry(String name, String type, ConfigSection settings, Holdout holdout) {}

  /** The tasks that carve dev and test rows from their train file, by task name. */
  public Map<String, Holdout> holdouts() {
    Map<String, Holdout> out = new LinkedHashMap<>();
    tasks().stream().filter(t -> t.holdout() != null).forEach(t -> out.put(t.name(), t.holdout()));
    return out;
  }

  public static final String DEFAULT_TOKENIZER = "words";
  public static final String DEFAULT_SHARING = "hard";
  public static final String DEFAULT_WEIGHTING = "equal";
  public static final String DEFAULT_SAMPLING = "all";
  public static final String DEFAULT_ENGINE = "djl-pytorch";
  public static final String DEFAULT_PRETRAINED_ENCODER = "djl";
  /** Where {@code mtl train --single-task} puts its runs and {@code baselines.json}, inside the output folder. */
  public static final String SINGLE_TASK_DIR = "single-task";
  public static final String BASELINES_FILE = "baselines.json";

  /** Reads a YAML config file; problems are recorded, not thrown (see {@link ConfigSource#throwIfInvalid}). */
  public static RunConfig load(Path file) {
    return load(file, List.of());
  }

  /**
   * Reads a YAML config file with overrides such as {@code sharing.type=soft} or
   * {@code training.epochs=1} applied on top (values are YAML: numbers, booleans, lists).
   */
  public static RunConfig load(Path file, List<String> overrides) {
    return read(TaskDefaults.apply(ConfigOverrides.apply(YamlConfigReader.read(file), overrides)), file.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
  }

  /** A run or task name that is safe as one folder name. */
  private static final String SAFE_NAME = "[A-Za-z0-9][A-Za-z0-9_.-]*";

  public static RunConfig read(ConfigSection root, String defaultName) {
    String name = root.string("name", defaultName);
    if (root.has("name") && !name.matches(SAFE_NAME)) {
      // The name is a folder under runs/: '/', '\\' or '..' would put the run elsewhere.
      root.problem("name", name, "must be letters, digits, '_', '-' or '.', starting with a letter or digit (it names the"
          + " run's folder under runs/; set `output` to choose any folder)");
    }
    long seed = root.longValue("seed", 42);
    Path output = root.path("output", false).orElseGet(() -> Path.of("runs", name).toAbsolutePath());
    List<TaskEntry> tasks = readTasks(root);
    ConfigSection modelSection = root.section("model");
    if (ModelSpec.fineTunesPretrained(modelSection) && root.has("tokenizer")) {
      root.problem("tokenizer", "(given)", "cannot go with a fine-tuned pretrained encoder, which reads its own tokenizer's ids;"
          + " drop the tokenizer section (set model.pretrained-encoder.max-length to cut texts)");
    }
    PluginChoice tokenizer = PluginChoice.read(root, "tokenizer", DEFAULT_TOKENIZER);
    ModelSpec model = ModelSpec.read(modelSection);
    Optional<PluginChoice> pretrained = readPretrainedEncoder(modelSection);
    Optional<WordVectorSettings> wordVectors = WordVectorSettings.read(modelSection);
    boolean priorHeadBias = modelSection.oneOf("head-bias", "random", Set.of("random", "prior")).equals("prior");
    if (pretrained.isPresent() && modelSection.has(WordVectorSettings.KEY)) {
      modelSection.problem(WordVectorSettings.KEY, "(given)", "cannot go with pretrained-encoder, which replaces"
          + " the token embeddings the word vectors would start; choose one");
    }
    PluginChoice sharing = PluginChoice.read(root, "sharing", DEFAULT_SHARING);
    PluginChoice weighting = PluginChoice.read(root, "weighting", DEFAULT_WEIGHTING);
    PluginChoice sampling = PluginChoice.read(root, "sampling", DEFAULT_SAMPLING);
    TrainingSettings training = TrainingSettings.read(root.section("training"), tasks.stream().map(TaskEntry::name).toList(), output);
    if (training.optimizer().layerDecay() != 1 && !ModelSpec.fineTunesPretrained(modelSection)) {
      root.section("training").problem("layer-decay", training.optimizer().layerDecay(), "applies only to a fine-tuned transformer's"
          + " layers; set model.pretrained-encoder with mode: fine-tune, or drop layer-decay");
    }
    PluginChoice engine = PluginChoice.read(root, "engine", DEFAULT_ENGINE);
    Path baselines = root.path("baselines", false).orElse(output.resolve(SINGLE_TASK_DIR).resolve(BASELINES_FILE));
    Optional<PseudoLabelSettings> pseudoLabels = PseudoLabelSettings.read(root, tasks);
    return new RunConfig(root, name, seed, output, tasks, tokenizer, model, sharing, weighting, sampling, training, engine, pretrained,
        wordVectors, baselines, pseudoLabels, priorHeadBias);
  }

  /** {@code model.pretrained-encoder}: frozen (vectors computed once) or fine-tuned (mtl's own transformer layer). */
  private static Optional<PluginChoice> readPretrainedEncoder(ConfigSection model) {
    if (!model.has(ModelSpec.PRETRAINED_ENCODER)) {
      return Optional.empty();
    }
    PluginChoice choice = PluginChoice.read(model, ModelSpec.PRETRAINED_ENCODER, DEFAULT_PRETRAINED_ENCODER);
    choice.settings().oneOf("mode", "frozen", Set.of("frozen", "fine-tune"));
    return Optional.of(choice);
  }

  private static List<TaskEntry> readTasks(ConfigSection root) {
    List<ConfigSection> sections = root.sections("tasks");
    Object given = root.values().get("tasks");
    if (given == null || given instanceof List<?> list && list.isEmpty()) {
      root.problem("tasks", given, "must list at least one task, each with a name, a type and its data");
    }
    Set<String> names = new HashSet<>();
    return sections.stream().map(section -> {
      String name = section.requiredString("name");
      if (!name.isEmpty() && !name.matches(SAFE_NAME)) {
        section.problem("name", name, "must be letters, digits, '_', '-' or '.', starting with a letter or digit");
      } else if (!name.isEmpty() && !names.add(name)) {
        section.problem("name", name, "must be unique; another task already has this name");
      }
      String type = section.requiredString("type");
      return new TaskEntry(name, type, section, Holdout.read(section).orElse(null));
    }).toList();
  }
}
