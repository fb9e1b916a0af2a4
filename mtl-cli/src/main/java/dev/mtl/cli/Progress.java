package dev.mtl.cli;

import dev.mtl.core.engine.StepResult;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.training.TrainingListener;
import dev.mtl.core.training.TrainingReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Training progress on standard error. On a terminal: one live line, rewritten in place, cut to the
 * terminal's width and cleared to its end so no stale characters remain. Otherwise (a log file, a
 * pipe, CI): whole lines, each with a timestamp, every few seconds.
 */
final class Progress implements TrainingListener {
  /** Set by bin/mtl to the terminal's width when standard error is a terminal. */
  static final String COLUMNS_VARIABLE = "MTL_TERMINAL_COLUMNS";
  private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
  private static final long LIVE_INTERVAL_NANOS = 100_000_000L;
  private static final String CLEAR_TO_END = "\033[K";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  private final PrintWriter err;
  private final boolean quiet;
  /** The terminal's width, or 0 when standard error is not a terminal. */
  private final int columns;
  private final Supplier<LocalDateTime> clock;
  private long epochStart;
  private long lastPrint;
  /** True while the live line holds text that the next whole line must clear first. */
  private boolean liveLine;

  Progress(PrintWriter err, boolean quiet) {
    this(err, quiet, terminalColumns(), LocalDateTime::now);
  }

  Progress(PrintWriter err, boolean quiet, int columns, Supplier<LocalDateTime> clock) {
    this.err = err;
    this.quiet = quiet;
    this.columns = columns;
    this.clock = clock;
  }

  /** The terminal's width when standard error is one (bin/mtl says), else 0. */
  static int terminalColumns() {
    String columns = System.getenv(COLUMNS_VARIABLE);
    if (columns != null && columns.matches("\\d{1,4}") && Integer.parseInt(columns) > 0) {
      return Integer.parseInt(columns);
    }
    try {
      // Started without bin/mtl: standard error is a terminal when fd 2 is a tty device (Linux).
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") ? 80 : 0;
    } catch (Exception e) {
      return 0;
    }
  }

  @Override
  public void onStart(List<TaskSummary> tasks, int vocabularySize, long parameterCount, String device) {
    if (!quiet) {
      line(String.format(Locale.ROOT, "%-16s %-20s %7s %8s %7s %7s %8s", "task", "type", "outputs", "train", "dev", "test", "skipped"));
      for (TaskSummary t : tasks) {
        line(String.format(Locale.ROOT, "%-16s %-20s %7d %8d %7d %7d %8d", t.task(), t.type(), t.outputs(), t.train(), t.dev(), t.test(), t.skippedRows()));
      }
    }
    // Shown even with --quiet: data problems, not progress.
    for (TaskSummary t : tasks) {
      if (!t.untrainedLabels().isEmpty()) {
        line("warning: task '" + t.task() + "' has no training rows for " + (t.untrainedLabels().size() == 1 ? "label " : "labels ")
            + t.untrainedLabels() + "; the model cannot learn to predict " + (t.untrainedLabels().size() == 1 ? "it" : "them"));
      }
      if (t.dev() == 0 && t.test() == 0) {
        line("warning: task '" + t.task() + "' has no dev or test data, so this run reports no results for it; give it a `dev`"
            + " or `test` file, or hold out part of its training data (holdout: {dev: 0.1, test: 0.1})");
      }
    }
    if (!quiet) {
      line(String.format(Locale.ROOT, "vocabulary %d tokens, %,d parameters, device %s", vocabularySize, parameterCount, device));
    }
  }

  @Override
  public void onEpochStart(int epoch, int epochs, int steps) {
    epochStart = System.nanoTime();
    lastPrint = epochStart;
    if (!quiet) {
      line(String.format(Locale.ROOT, "epoch %d/%d: %d steps", epoch + 1, epochs, steps));
    }
  }

  @Override
  public void onStep(int epoch, long step, int stepInEpoch, int stepsInEpoch, StepResult result) {
    if (quiet) {
      return;
    }
    long now = System.nanoTime();
    boolean last = stepInEpoch == stepsInEpoch - 1;
    if (!last && now - lastPrint < (columns > 0 ? LIVE_INTERVAL_NANOS : LOG_INTERVAL_NANOS)) {
      return;
    }
    lastPrint = now;
    double seconds = (now - epochStart) / 1e9;
    String losses = result.losses().entrySet().stream()
        .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.3f", e.getValue())).collect(Collectors.joining("  "));
    double rate = (stepInEpoch + 1) / Math.max(seconds, 1e-9);
    String text = String.format(Locale.ROOT, "  step %d/%d  %.1f steps/s  epoch ETA %ds  loss: %s", stepInEpoch + 1, stepsInEpoch,
        rate, Math.round((stepsInEpoch - stepInEpoch - 1) / rate), losses);
    // Weights are worth a glance only when a weighting moves them.
    if (result.weights().values().stream().anyMatch(w -> w != 1.0)) {
      text += "  weights: " + result.weights().entrySet().stream()
          .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.2f", e.getValue())).collect(Collectors.joining("  "));
    }
    if (columns == 0) {
      line(text);
      return;
    }
    live(text);
    if (last) {
      // The epoch's last step stays on screen, as its own row.
      err.println();
      err.flush();
      liveLine = false;
    }
  }

  @Override
  public void onEvaluation(String split, long rowsDone, long rowsTotal) {
    if (quiet || rowsTotal == 0) {
      return;
    }
    String text = String.format(Locale.ROOT, "  evaluating %s: %,d of %,d rows", split, rowsDone, rowsTotal);
    if (columns > 0) {
      long now = System.nanoTime();
      if (rowsDone == rowsTotal) {
        // Done: an empty row, so whatever comes next (results on standard output) starts clean.
        clearLive();
      } else if (rowsDone == 0 || now - lastPrint >= LIVE_INTERVAL_NANOS) {
        lastPrint = now;
        live(text);
      }
    } else if (rowsDone == 0) {
      // In a log: one line as it starts, so a long silence has a reason.
      line(String.format(Locale.ROOT, "  evaluating %s: %,d rows", split, rowsTotal));
    }
  }

  @Override
  public void onEpochEnd(EpochSummary summary) {
    if (quiet) {
      return;
    }
    String dev = summary.dev().entrySet().stream().map(e -> e.getKey() + " " + primary(e.getValue())).collect(Collectors.joining("  "));
    line(String.format(Locale.ROOT, "epoch %d done in %.1f s; dev: %s", summary.epoch() + 1, summary.seconds(), dev.isEmpty() ? "(no dev data)" : dev)
        + (summary.skippedSteps() > 0 ? "; skipped " + summary.skippedSteps() + " steps with non-finite values (see training-log.jsonl)" : ""));
  }

  @Override
  public void onTaskStop(String task, int epoch, int bestEpoch) {
    if (!quiet) {
      line(String.format(Locale.ROOT, "%s stops training: no better dev metric since epoch %d, whose state it keeps", task, bestEpoch + 1));
    }
  }

  @Override
  public void onFineTuneStart(String task, int epochs, int steps) {
    if (!quiet) {
      line(String.format(Locale.ROOT, "fine-tuning %s alone: up to %d epoch(s) of %d steps", task, epochs, steps));
    }
  }

  @Override
  public void onFineTuneEpoch(String task, int epoch, int epochs, double seconds, TaskMetrics dev, boolean kept) {
    if (!quiet) {
      line(String.format(Locale.ROOT, "fine-tuning %s: epoch %d/%d done in %.1f s; dev %s%s", task, epoch, epochs, seconds, primary(dev),
          kept ? " (best so far, kept)" : ""));
    }
  }

  @Override
  public void onFinished(TrainingReport report) {
    clearLive();
  }

  /** Erases the live line, leaving the cursor at the start of the empty row. */
  private void clearLive() {
    if (liveLine) {
      err.print("\r" + CLEAR_TO_END);
      err.flush();
      liveLine = false;
    }
  }

  /** Erases whatever live line is on standard error (a terminal), e.g. before an error message. */
  static String clearLine() {
    return terminalColumns() > 0 ? "\r" + CLEAR_TO_END : "";
  }

  /** Rewrites the live line: cut to the terminal's width, cleared to its end. */
  private void live(String text) {
    err.print("\r" + fit(text) + CLEAR_TO_END);
    err.flush();
    liveLine = true;
  }

  /** A whole line: on a terminal it replaces the live line; in a log it gets a timestamp. */
  private void line(String text) {
    if (columns > 0) {
      err.println((liveLine ? "\r" + CLEAR_TO_END : "") + text);
    } else {
      err.println(clock.get().format(STAMP) + "  " + text);
    }
    liveLine = false;
    err.flush();
  }

  /** The text cut to one terminal row (the last column stays empty, so the cursor never wraps). */
  private String fit(String text) {
    return text.length() < columns ? text : text.substring(0, Math.max(0, columns - 2)) + "…";
  }

  private static String primary(TaskMetrics m) {
    return m.primary() + "=" + String.format(Locale.ROOT, "%.4f", m.primaryValue());
  }
}
