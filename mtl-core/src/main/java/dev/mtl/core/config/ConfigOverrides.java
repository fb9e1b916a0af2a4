package dev.mtl.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies {@code key.path=value} overrides (the CLI's {@code --set}) to a config before it is read.
 * Values are parsed as YAML, so {@code 3}, {@code true}, {@code [a, b]} and {@code {type: soft}}
 * keep their types. A list entry is reached by its index ({@code tasks[1].unlabelled-rows=mask})
 * or, for lists of named entries such as {@code tasks}, by its name ({@code tasks.sst2.dev=d.txt}).
 * Problems in overridden settings point at the override, not at the file.
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
            "must be a YAML value: " + YamlConfigReader.parserMessage(e), "--set " + override)));
      }
      String canonical;
      try {
        canonical = put(values, path, value);
      } catch (IllegalArgumentException e) {
        throw new InvalidConfigException(root.source().name(), List.of(new ConfigProblem(path, override.substring(eq + 1),
            e.getMessage(), "--set " + override)));
      }
      where.put(canonical, "--set " + override);
    }
    return new ConfigSection(root.source().withOverrides(where), "", values);
  }

  /**
   * Sets {@code value} at {@code path} (dotted keys, {@code [i]} list indices, names of list
   * entries) and returns the path as config problems name it, e.g. {@code tasks[1].dev}.
   */
  @SuppressWarnings("unchecked")
  private static String put(Map<String, Object> root, String path, Object value) {
    Object current = root;
    StringBuilder canonical = new StringBuilder();
    Matcher step = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)]|(\\.)").matcher(path);
    List<String> parts = new ArrayList<>(); // keys, and "[i]" for indices
    int at = 0;
    while (at < path.length() && step.find(at) && step.start() == at) {
      if (step.group(1) != null) {
        parts.add(step.group(1));
      } else if (step.group(2) != null) {
        parts.add("[" + step.group(2) + "]");
      }
      at = step.end();
    }
    if (at != path.length() || parts.isEmpty() || parts.get(0).startsWith("[")) {
      throw new IllegalArgumentException("is not a setting path; write keys with dots and list entries as [index], e.g. tasks[1].dev");
    }
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      boolean last = i == parts.size() - 1;
      if (current instanceof List<?> raw) {
        List<Object> list = (List<Object>) raw;
        int index = indexOf(list, part, canonical.toString());
        canonical.append('[').append(index).append(']');
        if (last) {
          list.set(index, value);
        } else {
          current = list.get(index);
        }
        continue;
      }
      if (part.startsWith("[")) {
        throw new IllegalArgumentException("indexes " + canonical + " with " + part + ", but " + canonical + " is not a list");
      }
      Map<String, Object> map = (Map<String, Object>) current;
      canonical.append(canonical.length() == 0 ? "" : ".").append(part);
      if (last) {
        map.put(part, value);
      } else {
        Object next = map.get(part);
        if (!(next instanceof Map) && !(next instanceof List)) {
          next = new LinkedHashMap<String, Object>();
          map.put(part, next);
        }
        current = next;
      }
    }
    return canonical.toString();
  }

  /** The entry {@code part} ({@code [i]}, or a name) of a list, or a message saying what the list has. */
  @SuppressWarnings("unchecked")
  private static int indexOf(List<Object> list, String part, String listPath) {
    if (part.startsWith("[")) {
      int index = Integer.parseInt(part.substring(1, part.length() - 1));
      if (index >= list.size()) {
        throw new IllegalArgumentException("names entry " + index + " of " + listPath + ", which has " + list.size()
            + (list.size() == 1 ? " entry (index 0)" : " entries (0 to " + (list.size() - 1) + ")"));
      }
      return index;
    }
    List<String> names = new ArrayList<>();
    for (int j = 0; j < list.size(); j++) {
      Object entry = list.get(j);
      Object name = entry instanceof Map ? ((Map<String, Object>) entry).get("name") : null;
      if (part.equals(String.valueOf(name))) {
        return j;
      }
      names.add(String.valueOf(name));
    }
    throw new IllegalArgumentException("names '" + part + "' in " + listPath + ", which has no entry of that name; its names: " + names
        + " (or use an index, e.g. " + listPath + "[0])");
  }

  /** A deep copy of a config map, safe to change. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> copy(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      if (v instanceof Map) {
        out.put(k, copy((Map<String, Object>) v));
      } else if (v instanceof List<?> list) {
        // Mutable, so overrides can set list entries.
        out.put(k, new ArrayList<>(list.stream().map(o -> o instanceof Map ? copy((Map<String, Object>) o) : o).toList()));
      } else {
        out.put(k, v);
      }
    });
    return out;
  }
}
