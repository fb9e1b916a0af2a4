package dev.mtl.core.api;

import dev.mtl.core.assembly.ModelAssembly;
import dev.mtl.core.engine.ForeignModel;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.inference.Calibration;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.inference.Evaluator;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.store.ModelFolder;
import dev.mtl.core.store.ModelManifest;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.task.TaskPrediction;
import dev.mtl.core.text.FeatureCache;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A trained multi-task model, loaded from the directory {@code mtl train} writes, that predicts
 * every task for a text. This is what applications embed:
 *
 * <pre>{@code
 * try (MultiTaskModel model = MultiTaskModel.load(Path.of("runs/goemotions/model"))) {
 *   Map<String, TaskPrediction> p = model.predict("I can't believe how good this is!");
 *   System.out.println(p.get("emotion").labels());   // e.g. [admiration, surprise]
 * }
 * }</pre>
 *
 * <p>The same call serves a multi-task TensorFlow SavedModel made elsewhere: a directory with the
 * SavedModel, {@code tokenizer/vocabulary.txt} and an {@code mtl-model.json} without {@code
 * sharing} that maps the signature's outputs to tasks (docs/tensorflow.md).
 *
 * <p>The plugins the model was trained with (task types, tokenizer, sharing strategy, engine) must be
 * on the class path. Close the model to free the engine's native memory. Predictions run inside a
 * {@link GracefulStop} guard: on SIGTERM the JVM waits for those in flight before it exits, and
 * later ones fail with {@link dev.mtl.core.engine.StopRequestedException} (unless the calling
 * thread holds a guard from before the stop, as a server's batch worker does).
 *
 * <p><b>Threads.</b> {@link #predict}, {@link #scores}, {@link #evaluate}, {@link #tasks} and
 * {@link #task} may be called from any number of threads at once (the engine's prediction pass
 * keeps no per-call state on the model; what it caches from the parameters is built under a lock);
 * concurrent calls return what the same calls would return one after another. {@link
 * #calibrate} changes decisions and is serialised with itself, but should not run while other
 * threads predict; {@link #cacheFeatures} and {@link #close} must not overlap other calls.
 */
public final class MultiTaskModel implements AutoCloseable {
  private final Path directory;
  private ModelManifest manifest;
  private final ModelAssembly assembly;
  private final List<Task> tasks;
  private final TextEncoder encoder;
  private final Network network;
  /** The frozen pretrained sentence encoder at the bottom of the model, or null. */
  private final SentenceEncoder pretrained;
  /** Where the pretrained encoder's vectors are looked up and kept, if asked ({@link #cacheFeatures}). */
  private FeatureCache featureCache;

  private MultiTaskModel(Path directory, ModelManifest manifest, ModelAssembly assembly, TextEncoder encoder, Network network) {
    this.directory = directory;
    this.manifest = manifest;
    this.assembly = assembly;
    this.pretrained = assembly.pretrained();
    this.tasks = assembly.tasks();
    this.encoder = encoder;
    this.network = network;
  }

  /** Loads a model with the plugins found on the class path. */
  public static MultiTaskModel load(Path directory) throws IOException {
    return load(directory, PluginRegistry.load());
  }

  /** Loads a model with the plugins of {@code registry}. */
  public static MultiTaskModel load(Path directory, PluginRegistry registry) throws IOException {
    return load(directory, registry, Map.of());
  }

  /**
   * Loads a model with engine settings of the caller's own over those it was trained with, e.g.
   * {@code Map.of("threads", 1)} for a service that predicts one text per request on each of
   * several threads (one PyTorch thread per request keeps tail latency low), or {@code
   * Map.of("device", "cpu")} to serve on the CPU a model trained on a GPU. PyTorch's thread count
   * is one per process: the first model an application loads sets it.
   */
  public static MultiTaskModel load(Path modelDirectory, PluginRegistry registry, Map<String, Object> engineSettings) throws IOException {
    // A save killed between its renames left the complete model beside its place: take it back.
    Path directory = AtomicFiles.recoverDirectory(modelDirectory);
    ModelManifest manifest = ModelManifest.read(directory);
    ModelAssembly.Parts parts = ModelAssembly.Parts.of(manifest, directory, engineSettings);
    ModelAssembly assembly = ModelAssembly.create(registry, parts);
    try {
      parts.engine().settings().source().throwIfInvalid();
      TextEncoder encoder = assembly.tokenizer().load(directory.resolve(ModelFolder.TOKENIZER_DIR));
      Network network;
      if (assembly.graph() == null) {
        // A manifest without a sharing strategy describes a model made outside mtl (e.g. a
        // TensorFlow SavedModel), which its engine serves as it is.
        Map<String, Integer> widths = new LinkedHashMap<>();
        Set<String> multiLabel = new HashSet<>();
        for (Task task : assembly.tasks()) {
          widths.put(task.name(), task.output().size());
          if (task.output().loss() == LossKind.SIGMOID_BINARY_CROSS_ENTROPY) {
            multiLabel.add(task.name());
          }
        }
        network = assembly.engine().serve(new ForeignModel(directory, widths, encoder.paddingId(), multiLabel));
      } else {
        network = ModelFolder.loadNetwork(assembly.engine(), new NetworkSpec(assembly.graph(), encoder.vocabularySize(),
            encoder.paddingId()), directory);
      }
      return new MultiTaskModel(directory, manifest, assembly, encoder, network);
    } catch (IOException | RuntimeException e) {
      assembly.close();
      throw e;
    }
  }

  /** Task names, in training order. */
  public List<String> tasks() {
    return tasks.stream().map(Task::name).toList();
  }

  /** The task with this name, e.g. to read its label names through {@link Task#output()}. */
  public Task task(String name) {
    return tasks.stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("No task '" + name + "'; this model has " + tasks()));
  }

  /** Every task's prediction for one text, by task name. */
  public Map<String, TaskPrediction> predict(String text) {
    return predict(List.of(text)).get(0);
  }

  /**
   * Keeps the pretrained encoder's vectors in {@code directory} (the trainer's {@code features/}
   * format), reading texts encoded before from it: for predicting the same texts again, e.g. the
   * unlabelled texts of each pseudo-label round. Does nothing for a model without a pretrained
   * encoder.
   */
  public void cacheFeatures(Path directory) throws IOException {
    if (pretrained != null) {
      featureCache = FeatureCache.open(pretrained, directory);
    }
  }

  private float[][] cachedVectors(List<String> texts) {
    try {
      return featureCache.vectors(texts);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the feature cache: " + e.getMessage(), e);
    }
  }

  /**
   * Every task's scores for each text, after its loss's activation (class probabilities, or values),
   * one row per text in the order of {@code texts}, columns in the order of the task's output names.
   */
  public Map<String, float[][]> scores(List<String> texts) {
    int[][] tokens = texts.stream().map(encoder::encode).toArray(int[][]::new);
    try (GracefulStop.Guard guard = GracefulStop.enter()) {
      float[][] features = pretrained == null ? null : featureCache == null ? pretrained.encode(texts) : cachedVectors(texts);
      // One call is one unit of work: once started it finishes, even if a stop is requested meanwhile.
      return Evaluator.scoreAllUnstoppable(network, tokens, features, tasks());
    }
  }

  /** Every task's prediction for each text, in the order of {@code texts}. */
  public List<Map<String, TaskPrediction>> predict(List<String> texts) {
    Map<String, float[][]> scores = scores(texts);
    List<Map<String, TaskPrediction>> out = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      Map<String, TaskPrediction> row = new LinkedHashMap<>();
      for (Task task : tasks) {
        row.put(task.name(), task.decode(scores.get(task.name())[i]));
      }
      out.add(row);
    }
    return out;
  }

  /** Evaluates each given task's data (e.g. its test split) with that task's metrics. */
  public Map<String, TaskMetrics> evaluate(Map<String, TaskData> dataByTask) {
    dataByTask.keySet().forEach(this::task);
    try (GracefulStop.Guard guard = GracefulStop.enter()) {
      FeatureCache features = pretrained == null ? null : FeatureCache.inMemory(pretrained);
      return Evaluator.evaluate(network, tasks, DataSource.group(dataByTask, encoder, features));
    }
  }

  /**
   * Lets each given task choose its decision settings on this held-out data (e.g. its dev split): a
   * multi-label task picks each label's threshold for the best F1 there. The choices take effect at
   * once and are saved in the model directory's manifest, atomically. Metrics on the same data are
   * then optimistic: judge the result on other data (e.g. the test split).
   */
  public synchronized Map<String, Calibration> calibrate(Map<String, TaskData> dataByTask) throws IOException {
    dataByTask.keySet().forEach(this::task);
    Map<String, Calibration> out = new LinkedHashMap<>();
    try (GracefulStop.Guard guard = GracefulStop.enter()) {
      FeatureCache features = pretrained == null ? null : FeatureCache.inMemory(pretrained);
      List<Task> given = tasks.stream().filter(t -> dataByTask.containsKey(t.name())).toList();
      Evaluator.labelledScores(network, given, DataSource.group(dataByTask, encoder, features))
          .forEach((name, scored) -> out.put(name, Calibration.of(task(name), scored)));
    }
    manifest = ModelFolder.updateTasks(directory, tasks);
    return out;
  }

  /** The run name and settings the model was trained with. */
  public ModelManifest manifest() {
    return manifest;
  }

  @Override
  public void close() {
    try {
      network.close();
    } finally {
      assembly.close();
    }
  }
}
