package dev.mtl.core.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mtl.core.config.YamlConfigReader;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.data.DataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code mtl-model.json}: everything needed to rebuild a trained model without its training setup:
 * plugin names with resolved settings (task labels inline), the model sizes and the run config.
 *
 * @param format manifest format version
 * @param name the run's name
 * @param engine engine plugin and settings
 * @param tokenizer tokenizer plugin and settings
 * @param model the {@code model} settings
 * @param sharing sharing plugin and settings
 * @param tasks each task's name, type and resolved settings
 * @param run the whole run config as given, for repeating the run
 * @param versions the version of each plugin class that trained the model, by {@code kind/name}
 * @param card where the model came from ({@link ModelCard}): null until training has finished
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(int format, String name, Plugin engine, Plugin tokenizer, Map<String, Object> model,
    Plugin sharing, List<TaskEntry> tasks, Map<String, Object> run, Map<String, String> versions,
    @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> card) {

  public static final String FILE_NAME = "mtl-model.json";
  public static final int FORMAT = 1;
  private static final ObjectMapper JSON = JsonFiles.mapper();

  /** This manifest with {@code card}. */
  public ModelManifest withCard(Map<String, Object> card) {
    return new ModelManifest(format, name, engine, tokenizer, model, sharing, tasks, run, versions, card);
  }

  /** A plugin by name with its settings. */
  public record Plugin(String type, Map<String, Object> settings) {}

  /** A task by name and type with the settings its provider recreates it from. */
  public record TaskEntry(String name, String type, Map<String, Object> settings) {}

  /** Writes {@value #FILE_NAME} atomically (with {@code schema_version}; {@code format} is the model layout). */
  public void write(Path directory) throws IOException {
    AtomicFiles.writeString(directory.resolve(FILE_NAME), JsonFiles.pretty(this));
  }

  public static ModelManifest read(Path directory) throws IOException {
    Path file = directory.resolve(FILE_NAME);
    ModelManifest manifest;
    try {
      manifest = JSON.readValue(Files.readAllBytes(file), ModelManifest.class);
    } catch (NoSuchFileException e) {
      throw new DataException(directory + " is not an mtl model directory: " + FILE_NAME
          + " is missing. Point at the 'model' folder inside a run's output directory.");
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new DataException(file + (at == null ? "" : ":" + at.getLineNr()) + ": is not a valid model manifest ("
          + YamlConfigReader.parserMessage(e) + "). Restore the model directory or retrain the model.");
    }
    List<String> missing = new ArrayList<>();
    if (manifest == null) {
      missing.add("everything (the file holds null)");
    } else {
      if (manifest.engine() == null || manifest.engine().type() == null) {
        missing.add("engine.type");
      }
      if (manifest.tokenizer() == null || manifest.tokenizer().type() == null) {
        missing.add("tokenizer.type");
      }
      if (manifest.tasks() == null || manifest.tasks().isEmpty()) {
        missing.add("tasks");
      } else if (manifest.tasks().stream().anyMatch(t -> t == null || t.name() == null || t.type() == null)) {
        missing.add("a name and a type for every task");
      }
      if (manifest.sharing() != null && manifest.sharing().type() == null) {
        missing.add("sharing.type");
      }
    }
    if (!missing.isEmpty()) {
      throw new DataException(file + " lacks " + String.join(", ", missing) + "; it is not a complete model manifest."
          + " Restore the model directory or retrain the model.");
    }
    if (manifest.format() != FORMAT) {
      throw new DataException(file + ": model format " + manifest.format() + " is not supported; this mtl reads format "
          + FORMAT + ". Retrain the model with this version.");
    }
    return manifest;
  }
}
