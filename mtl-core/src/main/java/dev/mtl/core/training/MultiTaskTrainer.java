package dev.mtl.core.training;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mtl.core.assembly.GramianPlan;
import dev.mtl.core.assembly.PreparedModel;
import dev.mtl.core.assembly.PretrainedWords;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.config.PluginChoice;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Network;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.inference.LengthBatcher;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.run.TrainingSettings;
import dev.mtl.core.spi.Plugin;
import dev.mtl.core.store.ModelCard;
import dev.mtl.core.store.ModelManifest;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.text.FeatureCache;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The engine-neutral training loop. Reads every task's data, fits the tokenizer on the training
 * texts, builds the network the sharing strategy describes, and trains it: each step takes one
 * batch from every data source (smaller ones cycle), so every task contributes to every step.
 * After each epoch it evaluates on dev; at the end it saves the model atomically and evaluates dev
 * and test.
 *
 * <p>The run directory gets {@code config.yaml} (the config as run, overrides applied), {@code
 * model/} (the trained model), {@code metrics.json} (the final report) and {@code
 * training-log.jsonl} (one JSON object per logged step, skipped step, evaluation and early stop).
 */
public final class MultiTaskTrainer {

  /** Where pretrained-encoder vectors are cached; null: each run's own {@code features/}. */
  private final Path featureCache;

  public MultiTaskTrainer() {
    this(null);
  }

  private MultiTaskTrainer(Path featureCache) {
    this.featureCache = featureCache;
  }

  /**
   * A trainer whose runs cache pretrained-encoder vectors in {@code directory} instead of each run
   * directory's {@code features/}, so runs over the same texts (cross-validation folds, pseudo-label
   * rounds) encode each text once.
   */
  public MultiTaskTrainer withFeatureCache(Path directory) {
    return new MultiTaskTrainer(directory);
  }

  /** Trains the run on its config's data files and returns its report. */
  public TrainingReport train(ResolvedRun run, TrainingListener listener) throws IOException {
    return train(run, TrainingData.read(run.tasks(), run.config().holdouts()), listener);
  }

  /**
   * Trains the run on the given data instead of its files (e.g. a cross-validation fold) and
   * returns its report. A resumed run reads the files again, so give it the same data.
   */
  public TrainingReport train(ResolvedRun run, TrainingData data, TrainingListener listener) throws IOException {
    return run(run, listener, false, data);
  }

  /**
   * Continues a run from the checkpoint in its output directory (written every epoch and every
   * {@code training.checkpoint-every} steps), ending as the uninterrupted run would have.
   */
  public TrainingReport resume(ResolvedRun run, TrainingListener listener) throws IOException {
    return run(run, listener, true, TrainingData.read(run.tasks(), run.config().holdouts()));
  }

  private TrainingReport run(ResolvedRun run, TrainingListener listener, boolean resume, TrainingData data) throws IOException {
    // The guard closes last: a SIGTERM lets the engine finish its step and free its memory first.
    try (GracefulStop.Guard guard = GracefulStop.enter();
        SentenceEncoder pretrained = run.pretrained()) {
      return run(run, listener, resume, data.train(), data.dev(), data.test(), pretrained);
    }
  }

  private TrainingReport run(ResolvedRun run, TrainingListener listener, boolean resume, Map<String, TaskData> train,
      Map<String, TaskData> dev, Map<String, TaskData> test, SentenceEncoder pretrained) throws IOException {
    RunConfig config = run.config();
    if (!resume) {
      RunDirectory.claim(config.outputDirectory(), false);
    }
    // A frozen pretrained encoder runs once per distinct text; its vectors stay in the run directory.
    FeatureCache features = pretrained == null ? null : FeatureCache.open(pretrained,
        featureCache != null ? featureCache : config.outputDirectory().resolve(FEATURES_DIR));
    PreparedModel prepared = PreparedModel.prepare(run, train, features);
    TextEncoder encoder = prepared.encoder();
    List<DataSource> devSources = DataSource.group(dev, encoder, features);
    List<DataSource> testSources = DataSource.group(test, encoder, features);
    GramianPlan gramians = GramianPlan.decide(config, run.weighting(), run.sampler(), prepared.graph(),
        prepared.trainSources().stream().map(source -> List.copyOf(source.tasks())).toList());
    config.root().source().throwIfInvalid();

    Path output = config.outputDirectory();
    // The run directory records what ran: the config with every --set override applied.
    AtomicFiles.writeString(output.resolve("config.yaml"), new YAMLMapper().writeValueAsString(config.root().values()));
    Path checkpoint = output.resolve(CHECKPOINT_DIR);
    Path logFile = output.resolve(TrainingLog.FILE);
    RunState state;
    if (resume) {
      AtomicFiles.recoverDirectory(checkpoint);
      if (!Files.isRegularFile(checkpoint.resolve(RunState.FILE))) {
        throw new TrainingException("nothing to resume in " + output + ": it has no checkpoint (the run finished, or"
            + " stopped before its first checkpoint); train it again without --resume");
      }
      state = RunState.read(checkpoint);
      run.weighting().restore(state.weighting);
    } else {
      state = RunState.fresh(prepared.trainSources().size());
    }
    TrainingSettings settings = config.training();
    try (Engine engine = run.engine();
        Network network = resume
            ? engine.resume(prepared.spec(), settings.optimizer(), config.seed(), checkpoint)
            : engine.create(prepared.spec(), settings.optimizer(), config.seed());
        TrainingLog log = resume ? TrainingLog.resume(logFile, state.logBytes) : TrainingLog.create(logFile)) {
      List<TrainingListener.TaskSummary> summaries = summaries(run.tasks(), train, dev, test);
      listener.onStart(summaries, encoder.vocabularySize(), network.parameterCount(), engine.device());
      logInputs(log, prepared, features, pretrained, resume, network);
      TrainingSession session = new TrainingSession(run, prepared, network, log, state, listener, gramians, devSources, checkpoint);
      session.trainAll();
      TrainingReport report = session.finish(engine, testSources);
      writeCard(run, summaries, report);
      return report;
    }
  }

  /** The model card of a finished run, in its model directory ({@link ModelCard}). */
  private static void writeCard(ResolvedRun run, List<TrainingListener.TaskSummary> summaries, TrainingReport report) throws IOException {
    Map<String, ModelCard.TaskFacts> facts = new LinkedHashMap<>();
    for (TrainingListener.TaskSummary s : summaries) {
      facts.put(s.task(), new ModelCard.TaskFacts(s.train(), s.dev(), s.test(), report.dev().get(s.task()), report.test().get(s.task())));
    }
    double seconds = report.epochs().stream().mapToDouble(TrainingListener.EpochSummary::seconds).sum();
    String kept = !report.taskEpochs().isEmpty() ? "each task's best dev state" + (report.fineTuneEpochs().isEmpty() ? "" : ", then fine-tuned alone")
        : "epoch " + (report.selectedEpoch() + 1) + " of " + report.epochs().size();
    Map<String, Object> card = ModelCard.facts(run.config().name(), run.config().root(), run.tasks(), facts,
        new ModelCard.TrainingFacts(report.epochs().size(), seconds, report.parameterCount(), report.peakRssBytes(), kept),
        versions(run));
    ModelCard.write(report.modelDirectory(), card, run.config().root().values());
  }

  /**
   * Starts the network from what is pretrained, and logs it: word vectors, a transformer, pretrained
   * features; and the heads' biases at the training priors, which the network already starts at.
   */
  private static void logInputs(TrainingLog log, PreparedModel prepared, FeatureCache features, SentenceEncoder pretrained,
      boolean resume, Network network) throws IOException {
    if (resume) {
      // The network has them, as trained so far, from its checkpoint, and the log has these events
      // from before it: logging them again would make a resumed run's log differ from an uninterrupted one's.
      return;
    }
    prepared.startFromPretrained(network);
    if (!prepared.headBiases().isEmpty()) {
      Map<String, float[]> biases = new LinkedHashMap<>();
      prepared.headBiases().forEach((name, tensor) -> biases.put(name, tensor.values()));
      log.write("event", "head-bias", "start", "prior", "biases", biases);
    }
    PretrainedWords words = prepared.words();
    if (prepared.trainable() != null) {
      TransformerShape shape = prepared.trainable().shape();
      log.write("event", "transformer", "layers", shape.layers(), "width", shape.width(), "heads", shape.heads(), "vocabulary",
          shape.vocabularySize(), "train_layers", prepared.trainable().trainLayers());
    }
    if (words != null) {
      PretrainedWords.Coverage coverage = words.coverage(prepared.trainSources());
      log.write("event", "word-vectors", "file", words.vectors().file().toString(), "dimension", words.vectors().dimension(),
          "frozen", words.settings().frozen(), "scale", words.scale(), "vocabulary_covered", coverage.types(), "vocabulary_added", words.added(),
          "training_tokens_covered", coverage.tokens());
    }
    if (features != null) {
      log.write("event", "features", "encoder", pretrained.id(), "width", pretrained.width(), "distinct_texts", features.size(),
          "encoded", features.encodedTexts(), "from_cache", features.cachedTexts());
    }
  }

  static final String CHECKPOINT_DIR = "checkpoint";
  /** Where a frozen pretrained encoder's vectors are cached, inside the run directory. */
  public static final String FEATURES_DIR = "features";

  private static List<TrainingListener.TaskSummary> summaries(List<Task> tasks, Map<String, TaskData> train,
      Map<String, TaskData> dev, Map<String, TaskData> test) {
    return tasks.stream().map(t -> new TrainingListener.TaskSummary(t.name(), t.type(), t.output().size(),
        size(train.get(t.name())), size(dev.get(t.name())), size(test.get(t.name())),
        skipped(train.get(t.name())) + skipped(dev.get(t.name())) + skipped(test.get(t.name())),
        untrainedLabels(t.output(), train.get(t.name())))).toList();
  }

  /** A classification task's labels that no training row has (none for other tasks). */
  static List<String> untrainedLabels(OutputSpec output, TaskData train) {
    boolean single = output.loss() == LossKind.SOFTMAX_CROSS_ENTROPY;
    if (train == null || !single && output.loss() != LossKind.SIGMOID_BINARY_CROSS_ENTROPY) {
      return List.of();
    }
    boolean[] seen = new boolean[output.size()];
    for (float[] target : train.targets()) {
      if (!TaskData.isLabelled(target)) {
        continue;
      }
      if (single) {
        seen[(int) target[0]] = true;
      } else {
        for (int j = 0; j < seen.length; j++) {
          seen[j] |= target[j] > 0.5f;
        }
      }
    }
    List<String> untrained = new ArrayList<>();
    for (int j = 0; j < seen.length; j++) {
      if (!seen[j]) {
        untrained.add(output.names().get(j));
      }
    }
    return untrained;
  }

  /** Rows with a label for the task (with partial labels, fewer than the rows read). */
  private static int size(TaskData data) {
    return data == null ? 0 : data.labelledCount();
  }

  private static int skipped(TaskData data) {
    return data == null ? 0 : data.skippedRows();
  }

  /** The manifest of the model a run trains; its model section gets the pretrained encoder when the folder is written. */
  static ModelManifest manifest(ResolvedRun run) {
    RunConfig config = run.config();
    return new ModelManifest(ModelManifest.FORMAT, config.name(), plugin(config.engine()), plugin(config.tokenizer()),
        new LinkedHashMap<>(config.root().section("model").values()), plugin(config.sharing()),
        run.tasks().stream().map(t -> new ModelManifest.TaskEntry(t.name(), t.type(), t.resolvedSettings())).toList(),
        config.root().values(), versions(run), null);
  }

  /** Each plugin's version as it reports it (see {@link dev.mtl.core.spi.Plugin#version()}), and mtl-core's. */
  private static Map<String, String> versions(ResolvedRun run) {
    Map<String, String> out = new TreeMap<>(run.versions());
    out.put("mtl-core", Plugin.versionOf(MultiTaskTrainer.class));
    return out;
  }

  private static ModelManifest.Plugin plugin(PluginChoice choice) {
    Map<String, Object> settings = new LinkedHashMap<>(choice.settings().values());
    settings.remove("type");
    return new ModelManifest.Plugin(choice.type(), settings);
  }

  /** Endless batches of one source: a fresh length-aware shuffle each time it runs out. */
  static final class CyclingBatches implements Iterator<int[]> {
    private final DataSource source;
    private final int batchSize;
    private final Random random;
    private Iterator<int[]> current = Collections.emptyIterator();

    CyclingBatches(DataSource source, int batchSize, Random random) {
      this.source = source;
      this.batchSize = batchSize;
      this.random = random;
    }

    @Override
    public boolean hasNext() {
      return true;
    }

    @Override
    public int[] next() {
      if (!current.hasNext()) {
        current = LengthBatcher.trainingBatches(source.tokens(), batchSize, random).iterator();
      }
      return current.next();
    }
  }
}
