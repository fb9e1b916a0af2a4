package dev.mtl.core.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one policy for rows a task cannot use: fail listing the first ten with {@code file:line}
 * and the fix, or (with {@code bad-rows: skip}) skip them with the same report as a warning. Never
 * drop a row silently.
 */
public final class BadRows {
  private static final System.Logger LOG = System.getLogger(BadRows.class.getName());
  private static final int SHOWN = 10;

  private BadRows() {}

  /**
   * Fails or warns about {@code problems}; returns how many rows were skipped.
   *
   * @param task the task's name, for the message
   * @param skip true when the task is set to {@code bad-rows: skip}
   */
  public static int handle(String task, String file, List<RowProblem> problems, boolean skip) {
    if (problems.isEmpty()) {
      return 0;
    }
    List<RowProblem> sorted = new ArrayList<>(problems);
    sorted.sort(Comparator.comparingLong(RowProblem::line));
    String listing = sorted.stream().limit(SHOWN).map(p -> "  " + p.message()).collect(Collectors.joining("\n"));
    String more = sorted.size() > SHOWN ? "\n  ... and " + (sorted.size() - SHOWN) + " more" : "";
    String rows = sorted.size() + " bad row" + (sorted.size() == 1 ? "" : "s");
    if (!skip) {
      throw new DataException("Task '" + task + "': " + rows + " in " + file + ":\n" + listing + more
          + "\nFix the rows, or set `bad-rows: skip` on the task to skip them with this report.", sorted);
    }
    LOG.log(System.Logger.Level.WARNING, "Task ''{0}'': skipped {1} in {2}:\n{3}{4}", task, rows, file, listing, more);
    return sorted.size();
  }
}
