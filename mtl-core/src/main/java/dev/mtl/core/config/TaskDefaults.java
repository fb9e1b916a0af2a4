package dev.mtl.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code task-defaults:} in a run config: settings every entry of {@code tasks:} gets unless it sets
 * them itself. A task's own setting wins, maps (e.g. {@code holdout}) merge key by key, lists are
 * replaced whole. Applied after {@code --set}, so {@code --set task-defaults.format=csv} changes
 * every task that takes its format from there. A problem with a setting a task took from the
 * defaults points at its line in {@code task-defaults} (or at the {@code --set} that gave it).
 */
public final class TaskDefaults {
  /** The top-level key. */
  public static final String KEY = "task-defaults";

  private TaskDefaults() {}

  /** {@code root} with {@code task-defaults} merged into every task and removed; {@code root} itself when it has none. */
  public static ConfigSection apply(ConfigSection root) {
    if (!root.values().containsKey(KEY)) {
      return root;
    }
    Map<String, Object> values = ConfigOverrides.copy(root.values());
    Object defaults = values.remove(KEY);
    if (!(defaults instanceof Map<?, ?> defaultMap)) {
      throw new InvalidConfigException(root.source().name(), List.of(new ConfigProblem(KEY, defaults,
          "must be a map of task settings that every task gets unless it sets them itself, e.g. {format: tsv, multi-label: true}",
          root.source().locate(KEY))));
    }
    Map<String, String> copiedFrom = new LinkedHashMap<>();
    if (values.get("tasks") instanceof List<?> tasks) {
      for (int i = 0; i < tasks.size(); i++) {
        if (tasks.get(i) instanceof Map<?, ?> task) {
          merge(cast(defaultMap), cast(task), KEY, "tasks[" + i + "]", copiedFrom);
        }
      }
    } // else the missing or malformed task list is reported where tasks are read
    return new ConfigSection(root.source().withAliases(copiedFrom), "", values);
  }

  private static void merge(Map<String, Object> defaults, Map<String, Object> target, String from, String to, Map<String, String> copiedFrom) {
    defaults.forEach((key, value) -> {
      if (!target.containsKey(key)) {
        target.put(key, copy(value));
        copiedFrom.put(to + "." + key, from + "." + key);
      } else if (target.get(key) instanceof Map<?, ?> own && value instanceof Map<?, ?> defaultMap) {
        merge(cast(defaultMap), cast(own), from + "." + key, to + "." + key, copiedFrom);
      }
    });
  }

  /** A deep copy, so that tasks never share one another's values. */
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

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }
}
