package dev.mtl.core.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A typed, validating view of one map in a config. Getters never throw for bad user input: they
 * record a {@link ConfigProblem} with the property's file and line and return the default, so a
 * user sees every problem at once when {@link ConfigSource#throwIfInvalid()} runs. Plugins read
 * their settings through this class.
 */
public final class ConfigSection {
  private final ConfigSource source;
  private final String path;
  private final Map<String, Object> values;
  private final Set<String> read = new LinkedHashSet<>();
  private final List<ConfigSection> children = new ArrayList<>();
  private boolean checkUnknownKeys = true;

  public ConfigSection(ConfigSource source, String path, Map<String, Object> values) {
    this.source = source;
    this.path = path;
    this.values = values == null ? Map.of() : values;
  }

  /** An empty section, e.g. for a plugin the config names without settings. */
  public static ConfigSection empty(String name) {
    return new ConfigSection(ConfigSource.inMemory(name, Path.of(".")), "", Map.of());
  }

  /** A section over plain values built in code. */
  public static ConfigSection of(String name, Path baseDirectory, Map<String, Object> values) {
    return new ConfigSection(ConfigSource.inMemory(name, baseDirectory), "", values);
  }

  /** A section of a saved model's settings: its paths must stay inside {@code directory} (see {@link ConfigSource#insideOf}). */
  public static ConfigSection insideOf(String name, Path directory, Map<String, Object> values) {
    return new ConfigSection(ConfigSource.insideOf(name, directory), "", values);
  }

  public ConfigSource source() {
    return source;
  }

  /** Dotted path of this section, e.g. {@code tasks[1]}; empty for the root. */
  public String path() {
    return path;
  }

  public String propertyPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean has(String key) {
    read.add(key);
    return values.containsKey(key) && values.get(key) != null;
  }

  /** The raw values of this section, for saving a resolved config. */
  public Map<String, Object> values() {
    return Collections.unmodifiableMap(values);
  }

  /** Records a problem with {@code key} of this section. */
  public void problem(String key, Object value, String reason) {
    String property = propertyPath(key);
    source.add(new ConfigProblem(property, value, reason, source.locate(property)));
  }

  public Optional<String> optionalString(String key) {
    Object v = raw(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof Map || v instanceof List) {
      problem(key, v, "must be a single value");
      return Optional.empty();
    }
    return Optional.of(String.valueOf(v));
  }

  public String string(String key, String defaultValue) {
    return optionalString(key).orElse(defaultValue);
  }

  public String requiredString(String key) {
    Optional<String> v = optionalString(key);
    if (v.isEmpty() || v.get().isBlank()) {
      if (v.isEmpty() && values.get(key) == null) {
        problem(key, null, "is required");
      } else {
        problem(key, v.orElse(""), "must not be blank");
      }
      return "";
    }
    return v.get();
  }

  /** One of {@code allowed} (compared exactly), else a problem listing the allowed values. */
  public String oneOf(String key, String defaultValue, Set<String> allowed) {
    String v = string(key, defaultValue);
    if (v != null && !allowed.contains(v)) {
      problem(key, v, "must be one of " + new TreeSet<>(allowed));
      return defaultValue;
    }
    return v;
  }

  public int integer(String key, int defaultValue, int min, int max) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      problem(key, v, "must be a whole number");
      return defaultValue;
    }
    long value = n.longValue();
    if (value < min || value > max) {
      problem(key, v, "must be between " + min + " and " + max);
      return defaultValue;
    }
    return (int) value;
  }

  public long longValue(String key, long defaultValue) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      problem(key, v, "must be a whole number");
      return defaultValue;
    }
    return n.longValue();
  }

  public double number(String key, double defaultValue, double min, double max) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
      problem(key, v, "must be a number");
      return defaultValue;
    }
    double value = n.doubleValue();
    if (value < min || value > max) {
      problem(key, v, "must be between " + min + " and " + max);
      return defaultValue;
    }
    return value;
  }

  public boolean bool(String key, boolean defaultValue) {
    Object v = raw(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof Boolean b)) {
      problem(key, v, "must be true or false");
      return defaultValue;
    }
    return b;
  }

  /** A path resolved against the config file's folder; if {@code mustExist}, a missing file is a problem. */
  public Optional<Path> path(String key, boolean mustExist) {
    Optional<String> v = optionalString(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    Path resolved;
    try {
      resolved = source.baseDirectory().resolve(v.get()).normalize();
    } catch (InvalidPathException e) {
      problem(key, v.get(), "must be a valid path: " + e.getReason());
      return Optional.empty();
    }
    if (source.confined() && !ConfigSource.within(source.baseDirectory(), resolved)) {
      problem(key, v.get(), "must name a file inside the model folder " + source.baseDirectory().toAbsolutePath()
          + ": a model's files stay inside its folder, so a model from elsewhere cannot make mtl open other files");
      return Optional.empty();
    }
    if (mustExist && !Files.exists(resolved)) {
      problem(key, v.get(), "must name an existing file; " + resolved.toAbsolutePath() + " does not exist");
    }
    return Optional.of(resolved);
  }

  /** A setting naming an existing file, not a folder (resolved against the config's folder). */
  public Optional<Path> file(String key) {
    Optional<Path> path = path(key, true);
    if (path.isPresent() && Files.isDirectory(path.get())) {
      problem(key, raw(key), "must name a file, but " + path.get().toAbsolutePath() + " is a folder");
    }
    return path;
  }

  /** A list of plain values; a single value counts as a list of one. */
  public List<String> strings(String key) {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> list) {
      List<String> out = new ArrayList<>();
      for (Object o : list) {
        if (o instanceof Map || o instanceof List || o == null) {
          problem(key, v, "must be a list of plain values");
          return List.of();
        }
        out.add(String.valueOf(o));
      }
      return out;
    }
    if (v instanceof Map) {
      problem(key, v, "must be a list");
      return List.of();
    }
    return List.of(String.valueOf(v));
  }

  /** A nested map as its own section; an absent key gives an empty section. */
  @SuppressWarnings("unchecked")
  public ConfigSection section(String key) {
    Object v = raw(key);
    Map<String, Object> map = Map.of();
    if (v instanceof Map<?, ?> m) {
      map = (Map<String, Object>) m;
    } else if (v != null) {
      problem(key, v, "must be a map of settings");
    }
    ConfigSection child = new ConfigSection(source, propertyPath(key), map);
    children.add(child);
    return child;
  }

  /** A list of maps, each as its own section (e.g. {@code tasks}). */
  @SuppressWarnings("unchecked")
  public List<ConfigSection> sections(String key) {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      problem(key, v, "must be a list");
      return List.of();
    }
    List<ConfigSection> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String childPath = propertyPath(key) + "[" + i + "]";
      if (list.get(i) instanceof Map<?, ?> m) {
        ConfigSection child = new ConfigSection(source, childPath, (Map<String, Object>) m);
        children.add(child);
        out.add(child);
      } else {
        source.add(new ConfigProblem(childPath, list.get(i), "must be a map of settings", source.locate(childPath)));
      }
    }
    return out;
  }

  /** A map of names to numbers, e.g. per-task weights. */
  public Map<String, Double> numbers(String key) {
    Object v = raw(key);
    Map<String, Double> out = new LinkedHashMap<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof Map<?, ?> m)) {
      problem(key, v, "must be a map of names to numbers");
      return out;
    }
    m.forEach((k, n) -> {
      if (n instanceof Number num && Double.isFinite(num.doubleValue())) {
        out.put(String.valueOf(k), num.doubleValue());
      } else {
        problem(key + "." + k, n, "must be a number");
      }
    });
    return out;
  }

  /**
   * Records a problem for every key of this section and its children that nothing read: a typo
   * such as {@code embeding-size} must not be silently ignored.
   */
  public void reportUnknownKeys() {
    if (!checkUnknownKeys) {
      return;
    }
    for (String key : values.keySet()) {
      if (!read.contains(key)) {
        problem(key, values.get(key), "is not a known setting here; known settings: " + new TreeSet<>(read));
      }
    }
    children.forEach(ConfigSection::reportUnknownKeys);
  }

  /** Skips the unknown-key check, e.g. for the settings of a plugin that could not be found. */
  public void skipUnknownKeyCheck() {
    checkUnknownKeys = false;
  }

  private Object raw(String key) {
    read.add(key);
    return values.get(key);
  }
}
