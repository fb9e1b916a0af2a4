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
    Path base = file.toAbsolutePath().getParent();
    return new ConfigSection(new ConfigSource(name, base, lines), "", root);
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
