package dev.mtl.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Where a config came from: its file (relative paths inside it resolve against the file's folder),
 * the line of every property, and the problems found so far. Shared by all sections of one config,
 * so every problem, from the core or from a plugin, ends up in one report.
 */
public final class ConfigSource {
  private final String name;
  private final Path baseDirectory;
  private final Map<String, Integer> lines;
  private final Map<String, String> overrides;
  /** Properties that took their value from another one (a task's setting from task-defaults): problems point there. */
  private final Map<String, String> aliases;
  /** True when paths must stay inside {@link #baseDirectory} (a saved model's settings). */
  private final boolean confined;
  private final List<ConfigProblem> problems = new ArrayList<>();

  public ConfigSource(String name, Path baseDirectory, Map<String, Integer> lines) {
    this(name, baseDirectory, lines, Map.of(), Map.of(), false);
  }

  private ConfigSource(String name, Path baseDirectory, Map<String, Integer> lines, Map<String, String> overrides,
      Map<String, String> aliases, boolean confined) {
    this.name = name;
    this.baseDirectory = baseDirectory;
    this.lines = Map.copyOf(lines);
    this.overrides = Map.copyOf(overrides);
    this.aliases = Map.copyOf(aliases);
    this.confined = confined;
  }

  /** The same file with some properties overridden on the command line; problems there name the override. */
  ConfigSource withOverrides(Map<String, String> where) {
    return new ConfigSource(name, baseDirectory, lines, where, aliases, confined);
  }

  /** The same file where each key of {@code copiedFrom} took its value from the property it maps to. */
  ConfigSource withAliases(Map<String, String> copiedFrom) {
    return new ConfigSource(name, baseDirectory, lines, overrides, copiedFrom, confined);
  }

  /** A source for settings built in code: no file, no lines. */
  public static ConfigSource inMemory(String name, Path baseDirectory) {
    return new ConfigSource(name, baseDirectory, Map.of(), Map.of(), Map.of(), false);
  }

  /**
   * A source for settings restored from a saved model in {@code directory}: every path in them
   * must resolve inside that folder, so a model from elsewhere cannot make mtl open other files.
   */
  public static ConfigSource insideOf(String name, Path directory) {
    return new ConfigSource(name, directory, Map.of(), Map.of(), Map.of(), true);
  }

  public boolean confined() {
    return confined;
  }

  /**
   * True when {@code path} is {@code folder} or inside it, after resolving {@code ..} and, for what
   * exists, symbolic links.
   */
  public static boolean within(Path folder, Path path) {
    Path base = folder.toAbsolutePath().normalize();
    Path target = path.toAbsolutePath().normalize();
    if (!target.startsWith(base)) {
      return false;
    }
    try {
      return !Files.exists(target) || target.toRealPath().startsWith(base.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  public String name() {
    return name;
  }

  public Path baseDirectory() {
    return baseDirectory;
  }

  /** {@code file:line} of a property, or of its nearest ancestor that has a line, or the file. */
  public String locate(String property) {
    String path = property;
    while (true) {
      String override = overrides.get(path);
      if (override != null) {
        return override;
      }
      Integer line = lines.get(path);
      if (line != null) {
        return name + ":" + line;
      }
      String original = aliases.get(path);
      if (original != null) {
        return locate(original + property.substring(path.length()));
      }
      int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
      if (cut <= 0) {
        return name;
      }
      path = path.substring(0, cut);
    }
  }

  void add(ConfigProblem problem) {
    problems.add(problem);
  }

  public List<ConfigProblem> problems() {
    return List.copyOf(problems);
  }

  /** Throws {@link InvalidConfigException} listing every problem recorded, if there is any. */
  public void throwIfInvalid() {
    if (!problems.isEmpty()) {
      List<ConfigProblem> inFileOrder = new ArrayList<>(problems);
      inFileOrder.sort(Comparator.comparingInt(ConfigSource::lineOf));
      throw new InvalidConfigException(name, inFileOrder);
    }
  }

  /** The line a problem points at, or 0 when it has none (sorted first). */
  private static int lineOf(ConfigProblem problem) {
    String location = problem.location();
    int colon = location.lastIndexOf(':');
    try {
      return colon < 0 ? 0 : Integer.parseInt(location.substring(colon + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
