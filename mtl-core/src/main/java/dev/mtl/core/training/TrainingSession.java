package dev.mtl.core.training;

import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.assembly.GramianPlan;
import dev.mtl.core.assembly.PreparedModel;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NonFiniteException;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.inference.Calibration;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.inference.Evaluator;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.run.Baselines;
import dev.mtl.core.run.FineTuning;
import dev.mtl.core.run.ModelSelection;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.run.TrainingSettings;
import dev.mtl.core.sampling.SamplingStep;
import dev.mtl.core.store.ModelFolder;
import dev.mtl.core.task.ClassReport;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * One run's loop: epochs of steps, evaluations, model selection and checkpoints, over the state
 * a checkpoint holds; what it writes goes through the {@link TrainingLog}, the checkpoint and
 * {@link ModelFolder}.
 */
final class TrainingSession {
  /** Folder of a run's output where tasks' own states wait until the run finishes. */
  static final String TASK_STATES = "task-states";
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
  /** For bilevel weightings: a second, independently shuffled stream per source, drawn alongside the first. */
  private final List<Iterator<int[]>> metaStreams = new ArrayList<>();
  private final int[] sourceSizes;
  private final List<List<String>> sourceTasks;
  private final int stepsPerEpoch;
  private final long totalSteps;
  private final ModelSelection selection;
  private final Baselines baselines;
  /** The teachers' scores, when the run learns from them too ({@code training.distill}); else null. */
  private final TeacherTargets teachers;

  TrainingSession(ResolvedRun run, PreparedModel prepared, Network network, TrainingLog log, RunState state, TrainingListener listener,
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
      Iterator<int[]> stream = new MultiTaskTrainer.CyclingBatches(trainSources.get(s), settings.batchSize(), new Random(config.seed() * 31 + s));
      // Batches are drawn from a seeded generator: replaying the draws puts a resumed stream where it was.
      for (long d = 0; d < state.drawn[s]; d++) {
        stream.next();
      }
      batchStreams.add(stream);
      if (run.weighting().need() == GradientNeed.GRAMIAN_WITH_META_BATCH) {
        Iterator<int[]> meta = new MultiTaskTrainer.CyclingBatches(trainSources.get(s), settings.batchSize(),
            new Random(config.seed() * 31 + s + 0x5DEECE66DL));
        // One meta batch is drawn with each batch, so the same count puts it where it was.
        for (long d = 0; d < state.drawn[s]; d++) {
          meta.next();
        }
        metaStreams.add(meta);
      }
    }
    this.sourceSizes = trainSources.stream().mapToInt(DataSource::size).toArray();
    this.sourceTasks = trainSources.stream().map(source -> List.copyOf(source.tasks())).toList();
    this.stepsPerEpoch = settings.stepsPerEpoch(sourceSizes, run.sampler());
    this.totalSteps = (long) stepsPerEpoch * settings.epochs();
    this.selection = settings.selection();
    this.baselines = Files.isRegularFile(config.baselines()) ? Baselines.read(config.baselines()) : null;
    this.teachers = settings.distillation().isEmpty() ? null
        : TeacherTargets.score(settings.distillation().get(), run.tasks(), trainSources, run.registry(), teacherEngineSettings(config));
    if (selection.selectBy().equals("delta-m") && (baselines == null || baselines.dev().isEmpty())) {
      throw new TrainingException("training.select-by: delta-m needs single-task baselines with dev metrics in "
          + config.baselines() + "; run `mtl train " + config.name() + " --single-task` first, or select by mean");
    }
    List<String> withoutDev = withoutDev(run.tasks());
    if (settings.fineTuning().isPresent() && !withoutDev.isEmpty()) {
      throw new TrainingException("training.fine-tune keeps each task's best dev state, but " + withoutDev
          + " have no dev data; give them a dev file or a holdout (tasks[].holdout: {dev: 0.1}), or drop fine-tune");
    }
    List<String> uncalibrated = withoutDev(run.tasks().stream().filter(Task::calibrationRequested).toList());
    if (!uncalibrated.isEmpty()) {
      throw new TrainingException(uncalibrated + " ask to be calibrated on dev after training (threshold: tune) but have no dev"
          + " data; give them a dev file or a holdout (tasks[].holdout: {dev: 0.1}), or set a fixed threshold");
    }
    if (!selection.keepsLast() && devSources.isEmpty()) {
      throw new TrainingException("training.select-by: " + selection.selectBy() + " needs dev data; give tasks a `dev` file"
          + " or keep select-by: last");
    }
  }

  /** The run's device, when its config names one, for its teachers: they score where the run trains. */
  private static Map<String, Object> teacherEngineSettings(RunConfig config) {
    Object device = config.engine().settings().values().get("device");
    return device == null ? Map.of() : Map.of("device", device);
  }

  /** The names of those tasks that no dev source labels. */
  private List<String> withoutDev(List<Task> tasks) {
    return tasks.stream().map(Task::name).filter(task -> devSources.stream().noneMatch(source -> source.tasks().contains(task))).toList();
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
        Map<String, TaskMetrics> dev = evaluate("dev", network, devSources);
        log.evaluation(epoch, state.step, dev);
        state.evaluations.add(new TrainingReport.Evaluation(epoch, state.step, "dev", dev));
        stopped = !selection.keepsLast() && select(dev, epoch);
      }
      if (!stopped && !last && settings.checkpointEvery() > 0 && state.step % settings.checkpointEvery() == 0) {
        state.epochSeconds += (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        writeCheckpoint();
      }
    }
    // An epoch that patience ended early is summarised too, over the steps it ran.
    double seconds = state.epochSeconds + (System.nanoTime() - start) / 1e9;
    TrainingListener.EpochSummary summary = state.epochSummary(stepsPerEpoch, evaluate("dev", network, devSources), seconds);
    log.epochEnd(summary, state.step);
    if (!devSources.isEmpty()) {
      state.evaluations.add(new TrainingReport.Evaluation(epoch, state.step, "dev", summary.dev()));
    }
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

  /** Tells the listener how far an evaluation of {@code split} has come. */
  private Evaluator.Progress progress(String split) {
    return (done, total) -> listener.onEvaluation(split, done, total);
  }

  /** Dev metrics of every task labelled in {@code sources} (calibrated where asked), the listener hearing how far it has come. */
  private Map<String, TaskMetrics> evaluate(String split, Network network, List<DataSource> sources) {
    if (sources.isEmpty()) {
      return new LinkedHashMap<>();
    }
    return Evaluator.calibratedEvaluate(network, run.tasks(), sources, progress(split));
  }

  /** One optimizer step on a batch from each source the sampler picks, for the tasks still training. */
  private void step(int epoch, int stepInEpoch) throws IOException {
    long step = state.step;
    Set<String> stopped = stoppedTasks();
    List<SourceBatch> batches = new ArrayList<>(trainSources.size());
    List<SourceBatch> metaBatches = new ArrayList<>();
    for (int s : sampledSources(step, stopped)) {
      int[] rows = batchStreams.get(s).next();
      SourceBatch batch = trainSources.get(s).batch(rows);
      batch = teachers == null ? batch : teachers.mix(s, rows, batch, step, totalSteps);
      batches.add(withoutTasks(batch, stopped));
      if (!metaStreams.isEmpty()) {
        metaBatches.add(withoutTasks(trainSources.get(s).batch(metaStreams.get(s).next()), stopped));
      }
      state.drawn[s]++;
    }
    StepResult result = null;
    try {
      result = network.trainStep(new TrainStep(batches, run.weighting(), step, epoch, settings.optimizer().rateAt(step, totalSteps),
          gramians.measureAt(step, settings.logEvery()), metaBatches));
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

  /**
   * The sources the sampler picks this step. Once {@code stop-tasks} has stopped every task of a
   * source, the sampler chooses among the others as if that source were not there.
   */
  private int[] sampledSources(long step, Set<String> stopped) {
    List<Integer> training = new ArrayList<>();
    for (int s = 0; s < sourceTasks.size(); s++) {
      if (!stopped.containsAll(sourceTasks.get(s))) {
        training.add(s);
      }
    }
    if (training.size() == sourceTasks.size()) {
      return run.sampler().sources(new SamplingStep(step, totalSteps, sourceTasks, sourceSizes, config.seed()));
    }
    List<List<String>> tasks = training.stream().map(sourceTasks::get).toList();
    int[] sizes = training.stream().mapToInt(s -> sourceSizes[s]).toArray();
    int[] picked = run.sampler().sources(new SamplingStep(step, totalSteps, tasks, sizes, config.seed()));
    return Arrays.stream(picked).map(training::get).toArray();
  }

  /** The batch without the targets of stopped tasks, so their heads sit the step out. */
  private static SourceBatch withoutTasks(SourceBatch batch, Set<String> stopped) {
    if (stopped.isEmpty() || batch.targets().keySet().stream().noneMatch(stopped::contains)) {
      return batch;
    }
    Map<String, float[][]> targets = new LinkedHashMap<>(batch.targets());
    Map<String, float[]> rowWeights = new LinkedHashMap<>(batch.rowWeights());
    targets.keySet().removeAll(stopped);
    rowWeights.keySet().removeAll(stopped);
    return new SourceBatch(batch.tokens(), targets, rowWeights);
  }

  /** Tasks that {@code stop-tasks} has stopped: each went {@code patience} evaluations without getting better. */
  private Set<String> stoppedTasks() {
    if (!selection.stopTasks()) {
      return Set.of();
    }
    Set<String> stopped = new LinkedHashSet<>();
    state.taskSinceBest.forEach((task, since) -> {
      if (since >= selection.patience()) {
        stopped.add(task);
      }
    });
    return stopped;
  }

  /**
   * Keeps the model when this evaluation is the best so far (with {@code per-task}: each task whose
   * own dev metric is its best so far keeps it); true when patience has run out.
   */
  private boolean select(Map<String, TaskMetrics> dev, int epoch) throws IOException {
    boolean improved = selection.perTask() ? keepImprovedTasks(dev, epoch) : keepIfBest(dev);
    if (improved) {
      state.bestEpoch = epoch;
      state.bestStep = state.step;
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

  private boolean keepIfBest(Map<String, TaskMetrics> dev) throws IOException {
    double score = selection.score(dev, baselines);
    if (!(score > state.bestScore)) {
      return false;
    }
    // Written atomically: a crash mid-write leaves the previous best model in place.
    save();
    state.bestScore = score;
    state.bestDev = dev;
    return true;
  }

  /**
   * Writes the model into the state folder of every task whose primary dev metric is its best so
   * far, and counts each task's evaluations since its best. A stopped task keeps the state it has.
   */
  private boolean keepImprovedTasks(Map<String, TaskMetrics> dev, int epoch) throws IOException {
    Set<String> stopped = stoppedTasks();
    boolean improved = false;
    for (Map.Entry<String, TaskMetrics> entry : dev.entrySet()) {
      String task = entry.getKey();
      double score = ModelSelection.primary(entry.getValue());
      if (!stopped.contains(task) && score > state.taskBestScore.getOrDefault(task, Double.NEGATIVE_INFINITY)) {
        AtomicFiles.writeDirectory(taskStateDir(task), network::save);
        state.taskBestScore.put(task, score);
        state.taskBestEpoch.put(task, epoch);
        state.taskBestDev.put(task, entry.getValue());
        state.taskSinceBest.put(task, 0);
        improved = true;
      } else {
        state.taskSinceBest.merge(task, 1, Integer::sum);
      }
    }
    for (String task : stoppedTasks()) {
      if (!stopped.contains(task)) {
        int bestEpoch = state.taskBestEpoch.getOrDefault(task, -1);
        log.taskStop(task, epoch, state.step, bestEpoch);
        listener.onTaskStop(task, epoch, bestEpoch);
      }
    }
    return improved;
  }

  /** Where a task's own state waits, outside the model folder, until the run finishes. */
  private Path taskStateDir(String task) {
    return config.outputDirectory().resolve(TASK_STATES).resolve(task);
  }

  /**
   * Fine-tunes every task with dev data from its kept state (its own, or the kept model's), each
   * keeping its best dev state in its state folder; records each task's dev metrics and epochs.
   */
  private void fineTune(Engine engine, Map<String, Path> taskStates, Map<String, TaskMetrics> devMetrics,
      Map<String, Integer> fineTuneEpochs) throws IOException {
    FineTuning fineTuning = settings.fineTuning().orElseThrow();
    Path keptModel = modelDir.resolve(ModelFolder.PARAMETERS_DIR);
    for (Task task : run.tasks()) {
      String name = task.name();
      DataSource train = trainSources.stream().filter(s -> s.tasks().contains(name)).findFirst().orElseThrow().only(name);
      DataSource dev = devSources.stream().filter(s -> s.tasks().contains(name)).findFirst().map(s -> s.only(name)).orElse(null);
      if (dev == null) {
        throw new TrainingException("training.fine-tune: task '" + name + "' has no dev data to choose its state by;"
            + " give it a dev file or a holdout, or drop fine-tune");
      }
      Path start = taskStates.getOrDefault(name, keptModel);
      // Beside the start, never over it: a run resumed after a stop here fine-tunes from the same start.
      Path tuned = config.outputDirectory().resolve(TASK_STATES).resolve(name + ".fine-tuned");
      TaskFineTuning.Result result = TaskFineTuning.run(engine, prepared.spec(), settings.optimizer(), fineTuning, config.seed(),
          settings.batchSize(), task, train, dev, start, tuned, log, listener);
      taskStates.put(name, tuned);
      devMetrics.put(name, result.dev());
      fineTuneEpochs.put(name, result.epoch());
    }
  }

  /**
   * Tasks that ask for it choose their decision settings on dev (e.g. a threshold per label), and the
   * saved model gets them. Their dev metrics are then measured with settings chosen on dev, so they
   * flatter the model; test metrics do not.
   */
  private void calibrate(Network served, Map<String, TaskMetrics> devMetrics) throws IOException {
    List<Task> asking = run.tasks().stream().filter(Task::calibrationRequested).toList();
    if (asking.isEmpty()) {
      return;
    }
    Map<String, Evaluator.Scored> dev = Evaluator.labelledScores(served, asking, devSources, progress("dev (choosing thresholds)"));
    for (Task task : asking) {
      Calibration calibration = Calibration.of(task, dev.get(task.name()));
      log.write("event", "calibration", "task", task.name(), "metric", calibration.after().primary(), "dev_before",
          calibration.before().primaryValue(), "dev_after", calibration.after().primaryValue(), "chosen", calibration.chosen());
      devMetrics.put(task.name(), calibration.after());
    }
    ModelFolder.updateTasks(modelDir, run.tasks());
  }

  private ModelFolder.Pretrained pretrained() {
    if (run.trainable() != null) {
      return ModelFolder.Pretrained.fineTuned(config.pretrainedEncoder().orElseThrow().type(), run.trainable());
    }
    return run.pretrained() == null ? null : ModelFolder.Pretrained.frozen(config.pretrainedEncoder().orElseThrow().type(), run.pretrained());
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
    ModelFolder.write(modelDir, MultiTaskTrainer.manifest(run), config.root().values(), pretrained(), prepared.encoder(), network);
  }

  /**
   * Saves the kept model (after per-task fine-tuning, if configured), tests it and writes the
   * report; a finished run needs no checkpoint.
   */
  TrainingReport finish(Engine engine, List<DataSource> testSources) throws IOException {
    List<TrainingListener.EpochSummary> epochs = state.epochs;
    int bestEpoch = state.bestEpoch;
    Map<String, TaskMetrics> devMetrics;
    Map<String, TaskMetrics> testMetrics;
    Map<String, ClassReport> testClasses;
    // Per-task states: the last model serves tasks that have none (no dev data to select on).
    boolean perTask = selection.perTask();
    boolean keepLast = selection.keepsLast() || perTask || bestEpoch < 0;
    Map<String, Path> taskStates = new LinkedHashMap<>();
    Map<String, Integer> taskEpochs = new LinkedHashMap<>();
    if (keepLast) {
      save();
      bestEpoch = epochs.size() - 1;
      devMetrics = new LinkedHashMap<>(epochs.get(bestEpoch).dev());
    } else {
      devMetrics = new LinkedHashMap<>(state.bestDev);
    }
    if (perTask) {
      for (String task : state.taskBestEpoch.keySet()) {
        taskStates.put(task, taskStateDir(task));
        taskEpochs.put(task, state.taskBestEpoch.get(task));
        devMetrics.put(task, state.taskBestDev.get(task));
      }
    }
    Map<String, Integer> fineTuneEpochs = new LinkedHashMap<>();
    if (settings.fineTuning().isPresent()) {
      fineTune(engine, taskStates, devMetrics, fineTuneEpochs);
    }
    if (!taskStates.isEmpty()) {
      // The kept model is in the folder already (the network may hold a later one): add the states to it.
      ModelFolder.addTaskStates(modelDir, taskStates);
    }
    // Calibrate and test the kept model, read back from disk as it will be served (unless the network is it).
    try (Network kept = keepLast && taskStates.isEmpty() ? null : ModelFolder.loadNetwork(engine, prepared.spec(), modelDir)) {
      Network served = kept == null ? network : kept;
      calibrate(served, devMetrics);
      Map<String, Evaluator.Scored> testScores = Evaluator.labelledScores(served, run.tasks(), testSources, progress("test"));
      testMetrics = Evaluator.metrics(run.tasks(), testScores);
      testClasses = Evaluator.classReports(run.tasks(), testScores);
    } catch (StopRequestedException stop) {
      throw new StopRequestedException("stopped by a signal during the final test evaluation; the trained model is saved in "
          + modelDir + " (mtl eval " + modelDir + " <config> --split test gives its test metrics)");
    }
    AtomicFiles.deleteDirectory(config.outputDirectory().resolve(TASK_STATES));
    Baselines.Comparison comparison = baselines == null ? null : baselines.compare(testMetrics, devMetrics);
    TrainingReport report = new TrainingReport(config.name(), modelDir, epochs, state.evaluations, devMetrics, testMetrics, testClasses,
        network.parameterCount(), ProcessMemory.peakHeapBytes(), ProcessMemory.peakResidentBytes(), comparison, bestEpoch, taskEpochs, fineTuneEpochs);
    AtomicFiles.writeString(config.outputDirectory().resolve("metrics.json"),
        JsonFiles.pretty(report));
    AtomicFiles.deleteDirectory(checkpoint);
    listener.onFinished(report);
    return report;
  }
}
