package dev.mtl.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies {@code key.path=value} overrides (the CLI's {@code --set}) to a config before it is read.
 * Values are parsed as YAML, so {@code 3}, {@code true}, {@code [a, b]} and {@code {type: soft}}
 * keep their types. Problems in overridden settings point at the override, not at the file.
 */
public final class ConfigOverrides {
  private static final YAMLMapper YAML = new YAMLMapper();

  private ConfigOverrides() {}

  public static ConfigSection apply(ConfigSection root, List<String> overrides) {
    if (overrides.isEmpty()) {
      return root;
    }
    Map<String, Object> values = copy(root.values());
    Map<String, String> where = new LinkedHashMap<>();
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new InvalidConfigException(root.source().name(), List.of(new ConfigProblem("--set", override,
            "must look like key.path=value, e.g. sharing.type=soft", "command line")));
      }
      String path = override.substring(0, eq).trim();
      Object value;
      try {
        value = YAML.readValue(override.substring(eq + 1), Object.class);
      } catch (JsonProcessingException e) {
        throw new InvalidConfigException(root.source().name(), List.of(new ConfigProblem(path, override.substring(eq + 1),
            "must be a YAML value: " + e.getOriginalMessage(), "--set " + override)));
      }
      put(values, path.split("\\."), value);
      where.put(path, "--set " + override);
    }
    return new ConfigSection(root.source().withOverrides(where), "", values);
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> map, String[] keys, Object value) {
    Map<String, Object> current = map;
    for (int i = 0; i < keys.length - 1; i++) {
      Object next = current.get(keys[i]);
      if (!(next instanceof Map)) {
        next = new LinkedHashMap<String, Object>();
        current.put(keys[i], next);
      }
      current = (Map<String, Object>) next;
    }
    current.put(keys[keys.length - 1], value);
  }

  /** A deep copy of a config map, safe to change. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> copy(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      if (v instanceof Map) {
        out.put(k, copy((Map<String, Object>) v));
      } else if (v instanceof List<?> list) {
        out.put(k, list.stream().map(o -> o instanceof Map ? copy((Map<String, Object>) o) : o).toList());
      } else {
        out.put(k, v);
      }
    });
    return out;
  }
}
