package dev.mtl.core.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config that cannot be used; lists every problem found, not just the first. */
public final class InvalidConfigException extends RuntimeException {
  private final List<ConfigProblem> problems;

  public InvalidConfigException(String source, List<ConfigProblem> problems) {
    super(format(source, problems));
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String format(String source, List<ConfigProblem> problems) {
    return "Invalid config " + source + ": " + problems.size() + " problem"
        + (problems.size() == 1 ? "" : "s") + "\n"
        + problems.stream().map(p -> "  - " + p.message()).collect(Collectors.joining("\n"));
  }
}
