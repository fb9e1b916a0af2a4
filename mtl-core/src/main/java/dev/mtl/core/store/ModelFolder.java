package dev.mtl.core.store;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.TrainableEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model folder: {@code mtl-model.json} (the manifest), {@code config.yaml} (the config as run),
 * {@code tokenizer/} (the text encoder's files), {@code parameters/} (the engine's; per-task parameter
 * sets in {@code parameters/tasks/}, see {@link TaskStates}) and, with a frozen pretrained encoder,
 * that encoder's files. Written by the trainer, read by {@code
 * MultiTaskModel.load}.
 */
public final class ModelFolder {
  /** Sub-folder with the text encoder's files (e.g. the vocabulary). */
  public static final String TOKENIZER_DIR = "tokenizer";
  /** Sub-folder with the engine's parameter files. */
  public static final String PARAMETERS_DIR = "parameters";

  private ModelFolder() {}

  /**
   * Writes a trained model into {@code modelDir} atomically: a crash mid-write leaves the previous
   * model (or none) in place. A pretrained encoder's account of itself joins the manifest's model
   * section (a frozen one copies its files in), so the folder is self-contained.
   *
   * @param manifest the model's manifest, its model section without the pretrained encoder
   * @param config the config as run, every override applied
   * @param pretrained the pretrained encoder and its plugin type, or null without one
   */
  public static void write(Path modelDir, ModelManifest manifest, Map<String, Object> config, Pretrained pretrained,
      TextEncoder encoder, Network network) throws IOException {
    AtomicFiles.writeDirectory(modelDir, dir -> {
      ModelManifest complete = manifest;
      if (pretrained != null) {
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("type", pretrained.type());
        described.putAll(pretrained.describer().saveTo(dir));
        Map<String, Object> model = new LinkedHashMap<>(manifest.model());
        model.put(ModelSpec.PRETRAINED_ENCODER, described);
        complete = new ModelManifest(manifest.format(), manifest.name(), manifest.engine(), manifest.tokenizer(), model,
            manifest.sharing(), manifest.tasks(), manifest.run(), manifest.versions(), manifest.card());
      }
      complete.write(dir);
      Files.writeString(dir.resolve("config.yaml"), new YAMLMapper().writeValueAsString(config));
      encoder.save(Files.createDirectories(dir.resolve(TOKENIZER_DIR)));
      network.save(Files.createDirectories(dir.resolve(PARAMETERS_DIR)));
    });
  }

  /**
   * Adds per-task parameter sets to the model already in {@code modelDir}, atomically: the folder is
   * copied whole with the sets in {@code parameters/tasks/}, then swapped in.
   */
  public static void addTaskStates(Path modelDir, Map<String, Path> taskStates) throws IOException {
    AtomicFiles.writeDirectory(modelDir, dir -> {
      copyTree(modelDir, dir);
      for (Map.Entry<String, Path> state : taskStates.entrySet()) {
        copyTree(state.getValue(), dir.resolve(PARAMETERS_DIR).resolve(TaskStates.DIR).resolve(state.getKey()));
      }
    });
  }

  /**
   * Rewrites the task entries of the manifest in {@code modelDir} from the tasks' resolved settings
   * (e.g. after they chose thresholds on dev), atomically; the rest of the folder stays. Returns the
   * manifest as written.
   */
  public static ModelManifest updateTasks(Path modelDir, List<Task> tasks) throws IOException {
    ModelManifest old = ModelManifest.read(modelDir);
    List<ModelManifest.TaskEntry> entries = tasks.stream()
        .map(t -> new ModelManifest.TaskEntry(t.name(), t.type(), t.resolvedSettings())).toList();
    ModelManifest updated = new ModelManifest(old.format(), old.name(), old.engine(), old.tokenizer(), old.model(), old.sharing(),
        entries, old.run(), old.versions(), old.card());
    updated.write(modelDir);
    return updated;
  }

  /** The network a model folder holds: one parameter set, or one per task where tasks have their own. */
  public static Network loadNetwork(Engine engine, NetworkSpec spec, Path modelDir) throws IOException {
    return TaskStates.load(engine, spec, modelDir.resolve(PARAMETERS_DIR));
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path source : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }

  /** A frozen pretrained sentence encoder and the plugin type that made it. */
  public record Pretrained(String type, Describer describer) {
    /** A frozen encoder: it copies its own files in (a model of the user's) and names them. */
    public static Pretrained frozen(String type, SentenceEncoder encoder) {
      return new Pretrained(type, encoder::saveTo);
    }

    /** A fine-tuned transformer: its sizes and settings; the folder's parameters and tokenizer are the rest. */
    public static Pretrained fineTuned(String type, TrainableEncoder encoder) {
      return new Pretrained(type, dir -> encoder.saved());
    }
  }

  /** What a pretrained encoder writes into a model folder, and the settings that name it there. */
  public interface Describer {
    Map<String, Object> saveTo(Path modelDirectory) throws IOException;
  }

}
