package dev.mtl.core.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The one policy for rows a task cannot use: fail listing the first ten with {@code file:line}
 * and the fix, or (with {@code bad-rows: skip}) skip them with the same report as a warning. Never
 * drop a row silently.
 */
public final class BadRows {
  private static final System.Logger LOG = System.getLogger(BadRows.class.getName());
  private static final int SHOWN = 10;
  /**
   * The reports already warned of: a run may read a file more than once (single-task baselines
   * count every task's rows before training each alone), and the same report twice tells nothing new.
   */
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private BadRows() {}

  /**
   * Fails or warns about {@code problems} (the same report once per process); returns how many rows
   * were skipped.
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
    if (WARNED.add(task + "\n" + file + "\n" + rows + "\n" + listing)) {
      LOG.log(System.Logger.Level.WARNING, "Task ''{0}'': skipped {1} in {2}:\n{3}{4}", task, rows, file, listing, more);
    }
    return sorted.size();
  }
}
