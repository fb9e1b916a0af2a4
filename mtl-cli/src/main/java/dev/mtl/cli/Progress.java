package dev.mtl.cli;

import dev.mtl.core.engine.StepResult;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.training.TrainingListener;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Training progress on standard error: a live line on a terminal, a line every few seconds otherwise. */
final class Progress implements TrainingListener {
  private static final long QUIET_LOG_NANOS = 10_000_000_000L;

  private final PrintWriter err;
  private final boolean quiet;
  private final boolean terminal = System.console() != null;
  private long epochStart;
  private long lastPrint;

  Progress(PrintWriter err, boolean quiet) {
    this.err = err;
    this.quiet = quiet;
  }

  @Override
  public void onStart(List<TaskSummary> tasks, int vocabularySize, long parameterCount, String device) {
    if (!quiet) {
      err.println(String.format(Locale.ROOT, "%-16s %-20s %7s %8s %7s %7s %8s", "task", "type", "outputs", "train", "dev", "test", "skipped"));
      for (TaskSummary t : tasks) {
        err.println(String.format(Locale.ROOT, "%-16s %-20s %7d %8d %7d %7d %8d", t.task(), t.type(), t.outputs(), t.train(), t.dev(), t.test(), t.skippedRows()));
      }
    }
    // Shown even with --quiet: a label without training rows is a data problem, not progress.
    for (TaskSummary t : tasks) {
      if (!t.untrainedLabels().isEmpty()) {
        err.println("warning: task '" + t.task() + "' has no training rows for " + (t.untrainedLabels().size() == 1 ? "label " : "labels ")
            + t.untrainedLabels() + "; the model cannot learn to predict " + (t.untrainedLabels().size() == 1 ? "it" : "them"));
      }
    }
    if (!quiet) {
      err.println(String.format(Locale.ROOT, "vocabulary %d tokens, %,d parameters, device %s", vocabularySize, parameterCount, device));
    }
    err.flush();
  }

  @Override
  public void onEpochStart(int epoch, int epochs, int steps) {
    epochStart = System.nanoTime();
    lastPrint = epochStart;
    if (!quiet) {
      err.println(String.format(Locale.ROOT, "epoch %d/%d: %d steps", epoch + 1, epochs, steps));
      err.flush();
    }
  }

  @Override
  public void onStep(int epoch, long step, int stepInEpoch, int stepsInEpoch, StepResult result) {
    if (quiet) {
      return;
    }
    long now = System.nanoTime();
    boolean last = stepInEpoch == stepsInEpoch - 1;
    if (!terminal && now - lastPrint < QUIET_LOG_NANOS && !last) {
      return;
    }
    lastPrint = now;
    double seconds = (now - epochStart) / 1e9;
    String losses = result.losses().entrySet().stream()
        .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.3f", e.getValue())).collect(Collectors.joining("  "));
    double rate = (stepInEpoch + 1) / Math.max(seconds, 1e-9);
    String line = String.format(Locale.ROOT, "  step %d/%d  %.1f steps/s  epoch ETA %ds  loss: %s", stepInEpoch + 1, stepsInEpoch,
        rate, Math.round((stepsInEpoch - stepInEpoch - 1) / rate), losses);
    // Weights are worth a glance only when a weighting moves them.
    if (result.weights().values().stream().anyMatch(w -> w != 1.0)) {
      line += "  weights: " + result.weights().entrySet().stream()
          .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.2f", e.getValue())).collect(Collectors.joining("  "));
    }
    if (terminal) {
      err.print("\r" + line + (last ? "\n" : ""));
    } else {
      err.println(line);
    }
    err.flush();
  }

  @Override
  public void onEpochEnd(EpochSummary summary) {
    if (quiet) {
      return;
    }
    String dev = summary.dev().entrySet().stream().map(e -> e.getKey() + " " + primary(e.getValue())).collect(Collectors.joining("  "));
    err.println(String.format(Locale.ROOT, "epoch %d done in %.1f s; dev: %s", summary.epoch() + 1, summary.seconds(), dev.isEmpty() ? "(no dev data)" : dev)
        + (summary.skippedSteps() > 0 ? "; skipped " + summary.skippedSteps() + " steps with non-finite values (see training-log.jsonl)" : ""));
    err.flush();
  }

  private static String primary(TaskMetrics m) {
    return m.primary() + "=" + String.format(Locale.ROOT, "%.4f", m.primaryValue());
  }

}
