package dev.mtl.engine.tensorflow;

import dev.mtl.core.config.ConfigSource;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.ForeignModel;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.store.ModelManifest;
import dev.mtl.engine.djl.DjlRuntime;
import dev.mtl.engine.djl.TfNatives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Trains on TensorFlow through the TF Java API and serves SavedModels through DJL's TensorFlow
 * engine. TensorFlow starts when the first network is built or loaded, so creating this object
 * (e.g. to validate a config) costs nothing.
 */
final class TfEngine implements Engine {
  static final String DJL_ENGINE = "TensorFlow";

  private final String name;
  private final int threads;
  private final String savedModel;
  private final String signatureKey;
  private final String input;
  private final boolean intInput;
  private final Map<String, String> outputs;
  private final boolean logits;
  private boolean started;

  TfEngine(String name, int threads, String savedModel, String signatureKey, String input, boolean intInput,
      Map<String, String> outputs, boolean logits) {
    this.name = name;
    this.threads = threads;
    this.savedModel = savedModel;
    this.signatureKey = signatureKey;
    this.input = input;
    this.intInput = intInput;
    this.outputs = Map.copyOf(outputs);
    this.logits = logits;
  }

  /**
   * Loads DJL's TensorFlow engine before any TF Java class is touched (otherwise native loading
   * breaks for the whole JVM), from natives extracted out of the Maven jar, never downloaded.
   */
  private synchronized void start() {
    if (!started) {
      DjlRuntime.ensureOffline();
      TfNatives.ensure();
      DjlRuntime.engine(DJL_ENGINE);
      started = true;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Optional<String> unsupported(ModelGraph graph) {
    return Optional.ofNullable(TfLowering.unsupported(graph));
  }

  @Override
  public Optional<String> unsupported(GradientNeed need) {
    // The step program fixes the trunk's gradient as Σ w_t g_t inside the TensorFlow graph.
    return switch (need) {
      case GRADIENTS_ON_REPRESENTATION -> Optional.of("cannot hand per-task gradients to a weighting that combines them itself"
          + " (graddrop, trimmed-mean, excess-mtl) yet; use engine djl-pytorch, or a weighting over the Gramian");
      case GRAMIAN_WITH_META_BATCH -> Optional.of("cannot run the meta-batch passes of a bilevel weighting (auto-lambda, moml,"
          + " forum) yet; use engine djl-pytorch, or a weighting over the Gramian");
      default -> Optional.empty();
    };
  }

  @Override
  public Network create(NetworkSpec spec, OptimizerSettings optimizer, long seed) {
    check(spec.graph());
    start();
    try {
      return new TfNetwork(spec, optimizer, seed, threads, null, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // nothing is read from disk here
    }
  }

  @Override
  public Network resume(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path checkpoint) throws IOException {
    check(spec.graph());
    start();
    return new TfNetwork(spec, optimizer, seed, threads, checkpoint, true);
  }

  @Override
  public Network startFrom(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path directory) throws IOException {
    check(spec.graph());
    start();
    return new TfNetwork(spec, optimizer, seed, threads, directory, false);
  }

  /** A model mtl trained on TensorFlow: its SavedModel, served by DJL's TensorFlow engine. */
  @Override
  public Network load(NetworkSpec spec, Path directory) throws IOException {
    Map<String, Integer> widths = new LinkedHashMap<>();
    spec.graph().heads().forEach(head -> widths.put(head.task(), head.output().size()));
    return serve(directory.resolve(TfNetwork.SAVED_MODEL_DIR), widths, spec.paddingId(), false, Set.of());
  }

  @Override
  public Network serve(ForeignModel model) throws IOException {
    Path directory = model.directory();
    Path folder = directory.resolve(savedModel);
    if (!ConfigSource.within(directory, folder)) {
      throw new IOException(directory.resolve(ModelManifest.FILE_NAME) + ": engine.saved-model was '" + savedModel
          + "' but it must name a folder inside the model folder " + directory.toAbsolutePath() + ": a model's files stay inside its"
          + " folder, so a model from elsewhere cannot make mtl open other files");
    }
    return serve(folder, model.widths(), model.paddingId(), logits, model.multiLabel());
  }

  private Network serve(Path savedModelDir, Map<String, Integer> widths, int paddingId, boolean logits, Set<String> multiLabel)
      throws IOException {
    start();
    Map<String, String> byTask = new LinkedHashMap<>();
    widths.keySet().forEach(task -> byTask.put(task, outputs.getOrDefault(task, task)));
    for (String task : outputs.keySet()) {
      if (!widths.containsKey(task)) {
        throw new IllegalArgumentException("engine.outputs names task '" + task + "', which the model does not have; its tasks are "
            + widths.keySet());
      }
    }
    return new SavedModelNetwork(savedModelDir, new SavedModelSignature(signatureKey, input, intInput, byTask, logits, multiLabel),
        paddingId, widths, threads);
  }

  private static void check(ModelGraph graph) {
    String problem = TfLowering.unsupported(graph);
    if (problem != null) {
      throw new IllegalArgumentException("the tensorflow engine " + problem);
    }
  }

  @Override
  public String device() {
    return "cpu";
  }

  @Override
  public void close() {
    // Networks own their sessions and models; the engine holds nothing native itself.
  }

}
