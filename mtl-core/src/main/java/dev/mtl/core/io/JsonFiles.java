package dev.mtl.core.io;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How mtl writes JSON: every file it writes (metrics.json, training-log.jsonl, baselines, reports,
 * checkpoints, the model manifest) and every {@code --json} output. One style for keys mtl defines,
 * snake_case ({@code mean_loss}, {@code peak_rss_bytes}); names that come from the user (tasks,
 * labels, config keys such as {@code learning-rate}) are kept as written. Paths are plain strings.
 * NaN and infinities (a task without dev data) are kept as such. Each document starts with
 * {@value #SCHEMA_KEY}: a reader can tell which layout it holds.
 */
public final class JsonFiles {
  /** The layout of mtl's JSON documents; raised when a key is renamed or removed. */
  public static final int SCHEMA_VERSION = 1;
  public static final String SCHEMA_KEY = "schema_version";

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .addModule(new SimpleModule("mtl-paths").addSerializer(Path.class, ToStringSerializer.instance))
      .build();

  /** Files written before {@value #SCHEMA_KEY} existed: camelCase keys. */
  private static final ObjectMapper LEGACY = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private JsonFiles() {}

  /**
   * Reads a document mtl wrote: one with {@value #SCHEMA_KEY} up to this version, or one from before
   * the key existed (camelCase keys), so that baselines and checkpoints of older runs still load.
   */
  public static <T> T read(Path file, Class<T> type) throws IOException {
    JsonNode tree = MAPPER.readTree(file.toFile());
    if (tree instanceof ObjectNode document && document.has(SCHEMA_KEY)) {
      int version = document.remove(SCHEMA_KEY).asInt();
      if (version > SCHEMA_VERSION) {
        throw new IOException(file + " has " + SCHEMA_KEY + " " + version + " but this mtl reads up to " + SCHEMA_VERSION
            + "; read it with the newer mtl that wrote it");
      }
      return MAPPER.treeToValue(document, type);
    }
    return LEGACY.treeToValue(tree, type);
  }

  /** The shared mapper: compact output; {@code mapper().writerWithDefaultPrettyPrinter()} for files people read. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** {@code value} as a JSON document: {@value #SCHEMA_KEY} first, then its properties. */
  public static ObjectNode document(Object value) {
    ObjectNode document = MAPPER.createObjectNode().put(SCHEMA_KEY, SCHEMA_VERSION);
    JsonNode tree = MAPPER.valueToTree(value);
    document.setAll((ObjectNode) tree);
    return document;
  }

  /** {@link #document} as indented text, for files people open. */
  public static String pretty(Object value) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(document(value)) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
