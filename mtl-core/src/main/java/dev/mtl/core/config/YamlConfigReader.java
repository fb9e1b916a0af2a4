package dev.mtl.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a YAML file into plain maps, lists and scalars while remembering the line of every
 * property, so that config problems can name {@code file:line}.
 */
public final class YamlConfigReader {
  private static final YAMLFactory YAML = new YAMLFactory();

  private YamlConfigReader() {}

  /** Reads {@code file}; a missing file or broken YAML is an {@link InvalidConfigException}. */
  public static ConfigSection read(Path file) {
    String name = file.toString();
    Map<String, Integer> lines = new HashMap<>();
    Map<String, Object> root;
    try (JsonParser parser = YAML.createParser(Files.newBufferedReader(file))) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw invalid(name, "(file)", null, "must not be empty; see examples/ for a complete config");
      }
      Object value = readValue(parser, "", lines);
      if (!(value instanceof Map)) {
        throw invalid(name, "(file)", value, "must be a map of settings at the top level");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) value;
      root = map;
    } catch (NoSuchFileException e) {
      throw invalid(name, "(file)", name, "must exist; " + file.toAbsolutePath() + " was not found");
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new InvalidConfigException(name, List.of(new ConfigProblem(
          "(yaml)", null, "is not valid YAML: " + parserMessage(e), name + ":" + line)));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read config " + name, e);
    }
    mergeTaskDefaults(name, root, lines);
    Path base = file.toAbsolutePath().getParent();
    return new ConfigSection(new ConfigSource(name, base, lines), "", root);
  }

  /** The top-level key whose settings every task gets unless it sets them itself. */
  public static final String TASK_DEFAULTS = "task-defaults";

  /**
   * Merges {@code task-defaults:} into every entry of {@code tasks:} and removes it: a task's own
   * setting wins, maps (e.g. {@code holdout}) merge key by key, lists are replaced whole. A setting a
   * task takes from the defaults keeps the line it has there, so problems point at that line.
   */
  private static void mergeTaskDefaults(String name, Map<String, Object> root, Map<String, Integer> lines) {
    if (!root.containsKey(TASK_DEFAULTS)) {
      return;
    }
    Object defaults = root.remove(TASK_DEFAULTS);
    if (!(defaults instanceof Map<?, ?> defaultMap)) {
      throw new InvalidConfigException(name, List.of(new ConfigProblem(TASK_DEFAULTS, defaults,
          "must be a map of task settings that every task gets unless it sets them itself, e.g. {format: tsv, multi-label: true}",
          name + ":" + lines.getOrDefault(TASK_DEFAULTS, 0))));
    }
    if (!(root.get("tasks") instanceof List<?> tasks)) {
      return; // the missing or malformed task list is reported where tasks are read
    }
    for (int i = 0; i < tasks.size(); i++) {
      if (tasks.get(i) instanceof Map<?, ?> task) {
        @SuppressWarnings("unchecked")
        Map<String, Object> target = (Map<String, Object>) task;
        @SuppressWarnings("unchecked")
        Map<String, Object> source = (Map<String, Object>) defaultMap;
        merge(source, target, TASK_DEFAULTS, "tasks[" + i + "]", lines);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> defaults, Map<String, Object> target, String from, String to, Map<String, Integer> lines) {
    defaults.forEach((key, value) -> {
      Object own = target.get(key);
      if (own == null && !target.containsKey(key)) {
        target.put(key, copy(value));
        String prefix = from + "." + key;
        // The key and everything under it keep their lines in task-defaults.
        for (Map.Entry<String, Integer> line : List.copyOf(lines.entrySet())) {
          String path = line.getKey();
          if (path.equals(prefix) || path.startsWith(prefix + ".") || path.startsWith(prefix + "[")) {
            lines.put(to + "." + key + path.substring(prefix.length()), line.getValue());
          }
        }
      } else if (own instanceof Map<?, ?> ownMap && value instanceof Map<?, ?> defaultMap) {
        merge((Map<String, Object>) defaultMap, (Map<String, Object>) ownMap, from + "." + key, to + "." + key, lines);
      }
    });
  }

  /** A deep copy, so that tasks never share (and later overrides never change) one another's values. */
  private static Object copy(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put((String) k, copy(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(copy(v)));
      return out;
    }
    return value;
  }

  private static InvalidConfigException invalid(String name, String property, Object value, String reason) {
    return new InvalidConfigException(name, List.of(new ConfigProblem(property, value, reason, name)));
  }

  private static Object readValue(JsonParser p, String path, Map<String, Integer> lines) throws IOException {
    JsonToken token = p.currentToken();
    if (!path.isEmpty()) {
      lines.putIfAbsent(path, p.currentTokenLocation().getLineNr());
    }
    switch (token) {
      case START_OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          String child = path.isEmpty() ? key : path + "." + key;
          lines.put(child, p.currentTokenLocation().getLineNr());
          p.nextToken();
          if (map.containsKey(key)) {
            throw new JsonProcessingException("duplicate key '" + key + "'", p.currentTokenLocation()) {};
          }
          map.put(key, readValue(p, child, lines));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(readValue(p, path + "[" + i++ + "]", lines));
        }
        return list;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new JsonProcessingException("unexpected " + token, p.currentTokenLocation()) {};
    }
  }

  /** A JSON or YAML parser's complaint without its source-location noise ("[Source: REDACTED ...]"). */
  public static String parserMessage(JsonProcessingException e) {
    return e.getOriginalMessage().replaceAll("\\[Source: [^;]*; (line: \\d+, column: \\d+)]", "$1");
  }
}
