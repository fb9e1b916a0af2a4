package dev.mtl.core.data;

import java.util.List;

/**
 * Data that cannot be used as it is. The message names the file, the lines, the offending values
 * and the fix.
 */
public final class DataException extends RuntimeException {
  private final List<RowProblem> problems;

  public DataException(String message, List<RowProblem> problems) {
    super(message);
    this.problems = List.copyOf(problems);
  }

  public DataException(String message) {
    this(message, List.of());
  }

  public List<RowProblem> problems() {
    return problems;
  }
}
