package dev.mtl.core.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mtl.core.assembly.GramianPlan;
import dev.mtl.core.assembly.PreparedModel;
import dev.mtl.core.assembly.PretrainedWords;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.config.PluginChoice;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NonFiniteException;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.inference.Evaluator;
import dev.mtl.core.inference.LengthBatcher;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.run.Baselines;
import dev.mtl.core.run.ModelSelection;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.run.TrainingSettings;
import dev.mtl.core.sampling.SamplingStep;
import dev.mtl.core.spi.Plugin;
import dev.mtl.core.store.ModelFolder;
import dev.mtl.core.store.ModelManifest;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.text.FeatureCache;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
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
  static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

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
    return train(run, TrainingData.read(run.tasks()), listener);
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
    return run(run, listener, true, TrainingData.read(run.tasks()));
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
    GramianPlan gramians = GramianPlan.decide(config, run.weighting(), prepared.graph(),
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
      listener.onStart(summaries(run.tasks(), train, dev, test), encoder.vocabularySize(), network.parameterCount(), engine.device());
      logInputs(log, prepared, features, pretrained, resume, network);
      Session session = new Session(run, prepared, network, log, state, listener, gramians, devSources, checkpoint);
      session.trainAll();
      return session.finish(engine, testSources);
    }
  }

  /** Word vectors and pretrained features the run starts from, in the log. */
  private static void logInputs(TrainingLog log, PreparedModel prepared, FeatureCache features, SentenceEncoder pretrained,
      boolean resume, Network network) throws IOException {
    PretrainedWords words = prepared.words();
    if (words != null) {
      if (!resume) {
        prepared.startFromWordVectors(network); // a resumed network has them, as trained so far, from its checkpoint
      }
      PretrainedWords.Coverage coverage = words.coverage(prepared.trainSources());
      log.write("event", "word-vectors", "file", words.vectors().file().toString(), "dimension", words.vectors().dimension(),
          "frozen", words.settings().frozen(), "vocabulary-covered", coverage.types(), "vocabulary-added", words.added(),
          "training-tokens-covered", coverage.tokens());
    }
    if (features != null) {
      log.write("event", "features", "encoder", pretrained.id(), "width", pretrained.width(), "distinct-texts", features.size(),
          "encoded", features.encodedTexts(), "from-cache", features.cachedTexts());
    }
  }

  static final String CHECKPOINT_DIR = "checkpoint";
  /** Where a frozen pretrained encoder's vectors are cached, inside the run directory. */
  public static final String FEATURES_DIR = "features";

  /**
   * One run's loop: epochs of steps, evaluations, model selection and checkpoints, over the state
   * a checkpoint holds; what it writes goes through the {@link TrainingLog}, the checkpoint and
   * {@link ModelFolder}.
   */
  private static final class Session {
    private final ResolvedRun run;
    private final RunConfig config;
    private final TrainingSettings settings;
    private final PreparedModel prepared;
    private final Network network;
    private final TrainingLog log;
    private final RunState state;
    private final TrainingListener listener;
    private final GramianPlan gramians;
    private final List<DataSource> trainSources;
    private final List<DataSource> devSources;
    private final Path checkpoint;
    private final Path modelDir;
    private final List<Iterator<int[]>> batchStreams = new ArrayList<>();
    private final int[] sourceSizes;
    private final List<List<String>> sourceTasks;
    private final int stepsPerEpoch;
    private final long totalSteps;
    private final ModelSelection selection;
    private final Baselines baselines;

    Session(ResolvedRun run, PreparedModel prepared, Network network, TrainingLog log, RunState state, TrainingListener listener,
        GramianPlan gramians, List<DataSource> devSources, Path checkpoint) throws IOException {
      this.run = run;
      this.config = run.config();
      this.settings = config.training();
      this.prepared = prepared;
      this.network = network;
      this.log = log;
      this.state = state;
      this.listener = listener;
      this.gramians = gramians;
      this.trainSources = prepared.trainSources();
      this.devSources = devSources;
      this.checkpoint = checkpoint;
      this.modelDir = config.outputDirectory().resolve("model");
      for (int s = 0; s < trainSources.size(); s++) {
        Iterator<int[]> stream = new CyclingBatches(trainSources.get(s), settings.batchSize(), new Random(config.seed() * 31 + s));
        // Batches are drawn from a seeded generator: replaying the draws puts a resumed stream where it was.
        for (long d = 0; d < state.drawn[s]; d++) {
          stream.next();
        }
        batchStreams.add(stream);
      }
      this.sourceSizes = trainSources.stream().mapToInt(DataSource::size).toArray();
      this.sourceTasks = trainSources.stream().map(source -> List.copyOf(source.tasks())).toList();
      this.stepsPerEpoch = settings.stepsPerEpoch(sourceSizes, run.sampler());
      this.totalSteps = (long) stepsPerEpoch * settings.epochs();
      this.selection = settings.selection();
      this.baselines = Files.isRegularFile(config.baselines()) ? Baselines.read(config.baselines()) : null;
      if (selection.selectBy().equals("delta-m") && (baselines == null || baselines.dev().isEmpty())) {
        throw new TrainingException("training.select-by: delta-m needs single-task baselines with dev metrics in "
            + config.baselines() + "; run `mtl train " + config.name() + " --single-task` first, or select by mean");
      }
      if (!selection.keepsLast() && devSources.isEmpty()) {
        throw new TrainingException("training.select-by: " + selection.selectBy() + " needs dev data; give tasks a `dev` file"
            + " or keep select-by: last");
      }
    }

    /** Every epoch from where the state stands, until the last or until patience runs out. */
    void trainAll() throws IOException {
      try {
        boolean stopped = false;
        for (int epoch = state.epoch; epoch < settings.epochs() && !stopped; epoch++) {
          if (epoch != state.epoch) {
            state.startEpoch(epoch);
          }
          stopped = trainEpoch(epoch);
        }
      } catch (StopRequestedException stop) {
        // Raised only between steps or inside an evaluation, where the state is a step boundary.
        writeCheckpoint();
        // After the checkpoint: a resumed run drops this line and its log reads as if never stopped.
        log.interrupted(state.epoch, state.step);
        Path output = config.outputDirectory();
        throw new StopRequestedException("training stopped by a signal after step " + state.step + " of " + totalSteps
            + "; its checkpoint is in " + checkpoint + ". Continue with: mtl train --resume " + output);
      }
    }

    /** One epoch's steps, then its evaluation; true when model selection stops the run early. */
    private boolean trainEpoch(int epoch) throws IOException {
      listener.onEpochStart(epoch, settings.epochs(), stepsPerEpoch);
      long start = System.nanoTime();
      boolean stopped = false;
      for (int i = state.stepInEpoch; i < stepsPerEpoch && !stopped; i++) {
        GracefulStop.throwIfRequested(); // a step boundary: what the checkpoint below can hold
        step(epoch, i);
        boolean last = i == stepsPerEpoch - 1;
        if (!last && settings.evalEvery() > 0 && state.step % settings.evalEvery() == 0) {
          Map<String, TaskMetrics> dev = Evaluator.evaluate(network, run.tasks(), devSources);
          log.evaluation(epoch, state.step, dev);
          stopped = !selection.keepsLast() && select(dev, epoch);
        }
        if (!stopped && !last && settings.checkpointEvery() > 0 && state.step % settings.checkpointEvery() == 0) {
          state.epochSeconds += (System.nanoTime() - start) / 1e9;
          start = System.nanoTime();
          writeCheckpoint();
        }
      }
      // An epoch that patience ended early is summarised too, over the steps it ran.
      TrainingListener.EpochSummary summary = state.epochSummary(stepsPerEpoch, Evaluator.evaluate(network, run.tasks(), devSources),
          state.epochSeconds + (System.nanoTime() - start) / 1e9);
      log.epochEnd(summary);
      state.epochs.add(summary);
      listener.onEpochEnd(summary);
      if (!stopped && !selection.keepsLast()) {
        stopped = select(summary.dev(), epoch);
      }
      if (!stopped && epoch + 1 < settings.epochs()) {
        state.startEpoch(epoch + 1);
        writeCheckpoint();
      }
      return stopped;
    }

    /** One optimizer step on a batch from each source the sampler picks. */
    private void step(int epoch, int stepInEpoch) throws IOException {
      long step = state.step;
      List<SourceBatch> batches = new ArrayList<>(trainSources.size());
      for (int s : run.sampler().sources(new SamplingStep(step, totalSteps, sourceTasks, sourceSizes, config.seed()))) {
        batches.add(trainSources.get(s).batch(batchStreams.get(s).next()));
        state.drawn[s]++;
      }
      StepResult result = null;
      try {
        result = network.trainStep(new TrainStep(batches, run.weighting(), step, epoch, settings.optimizer().rateAt(step, totalSteps),
            gramians.measureAt(step, settings.logEvery())));
      } catch (NonFiniteException e) {
        if (!settings.skipNonFinite()) {
          log.stopped(epoch, step, e.getMessage());
          throw new TrainingException("training stopped: " + e.getMessage() + ". No model was saved"
              + (Files.isDirectory(checkpoint) ? "; the last good checkpoint is " + checkpoint + " (mtl train --resume "
                  + config.outputDirectory() + ")" : "")
              + ". Lower training.learning-rate, set training.clip-norm, or set training.non-finite: skip to skip such steps.", e);
        }
        state.skipped++;
        log.skipped(epoch, step, e.getMessage());
      }
      if (result != null) {
        state.add(result);
        if (stepInEpoch == stepsPerEpoch - 1 || step % settings.logEvery() == 0) {
          log.step(epoch, step, result);
        }
      }
      listener.onStep(epoch, step, stepInEpoch, stepsPerEpoch, result != null ? result : new StepResult(Map.of(), Map.of(), 0));
      state.step++;
      state.stepInEpoch = stepInEpoch + 1;
    }

    /** Keeps the model when this evaluation is the best so far; true when patience has run out. */
    private boolean select(Map<String, TaskMetrics> dev, int epoch) throws IOException {
      double score = selection.score(dev, baselines);
      if (score > state.bestScore) {
        // Written atomically: a crash mid-write leaves the previous best model in place.
        save();
        state.bestScore = score;
        state.bestEpoch = epoch;
        state.bestStep = state.step;
        state.bestDev = dev;
        state.sinceBest = 0;
        return false;
      }
      state.sinceBest++;
      if (selection.patience() > 0 && state.sinceBest >= selection.patience()) {
        log.earlyStop(epoch, state.step, state.bestEpoch, state.bestStep, selection.selectBy());
        return true;
      }
      return false;
    }

    /** Network, optimizer, weighting and loop state, written atomically: a crash mid-write keeps the previous one. */
    private void writeCheckpoint() throws IOException {
      state.logBytes = log.bytes();
      state.weighting = run.weighting().state();
      AtomicFiles.writeDirectory(checkpoint, dir -> {
        network.saveCheckpoint(dir);
        state.write(dir);
      });
    }

    private void save() throws IOException {
      ModelFolder.Pretrained pretrained = run.pretrained() == null ? null
          : new ModelFolder.Pretrained(config.pretrainedEncoder().orElseThrow().type(), run.pretrained());
      ModelFolder.write(modelDir, manifest(run), config.root().values(), pretrained, prepared.encoder(), network);
    }

    /** Saves the kept model, tests it and writes the report; a finished run needs no checkpoint. */
    TrainingReport finish(Engine engine, List<DataSource> testSources) throws IOException {
      List<TrainingListener.EpochSummary> epochs = state.epochs;
      int bestEpoch = state.bestEpoch;
      Map<String, TaskMetrics> devMetrics;
      Map<String, TaskMetrics> testMetrics;
      boolean keepLast = selection.keepsLast() || bestEpoch < 0;
      if (keepLast) {
        save();
        bestEpoch = epochs.size() - 1;
        devMetrics = epochs.get(bestEpoch).dev();
      } else {
        devMetrics = state.bestDev;
      }
      try {
        if (keepLast) {
          testMetrics = Evaluator.evaluate(network, run.tasks(), testSources);
        } else {
          // Test the kept model, read back from disk as it will be served.
          try (Network best = engine.load(prepared.spec(), modelDir.resolve(ModelFolder.PARAMETERS_DIR))) {
            testMetrics = Evaluator.evaluate(best, run.tasks(), testSources);
          }
        }
      } catch (StopRequestedException stop) {
        throw new StopRequestedException("stopped by a signal during the final test evaluation; the trained model is saved in "
            + modelDir + " (mtl eval " + modelDir + " <config> --split test gives its test metrics)");
      }
      Baselines.Comparison comparison = baselines == null ? null : baselines.compare(testMetrics, devMetrics);
      TrainingReport report = new TrainingReport(config.name(), modelDir, epochs, devMetrics, testMetrics,
          network.parameterCount(), peakHeapBytes(), comparison, bestEpoch);
      AtomicFiles.writeString(config.outputDirectory().resolve("metrics.json"),
          JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
      AtomicFiles.deleteDirectory(checkpoint);
      listener.onFinished(report);
      return report;
    }
  }

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
  private static ModelManifest manifest(ResolvedRun run) {
    RunConfig config = run.config();
    return new ModelManifest(ModelManifest.FORMAT, config.name(), plugin(config.engine()), plugin(config.tokenizer()),
        new LinkedHashMap<>(config.root().section("model").values()), plugin(config.sharing()),
        run.tasks().stream().map(t -> new ModelManifest.TaskEntry(t.name(), t.type(), t.resolvedSettings())).toList(),
        config.root().values(), versions(run));
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

  /** A log event with its fields in the order given (Map.of's order changes from JVM to JVM). */
  private static long peakHeapBytes() {
    long total = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        total += pool.getPeakUsage().getUsed();
      }
    }
    return total;
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
