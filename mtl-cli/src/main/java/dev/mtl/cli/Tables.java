package dev.mtl.cli;

import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.run.Baselines;
import dev.mtl.core.inference.Evaluator;
import dev.mtl.core.training.TrainingReport;
import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Plain-text result tables for the terminal. */
final class Tables {
  private Tables() {}

  static void printReport(PrintWriter out, TrainingReport report) {
    printMetrics(out, "dev", report.dev());
    printMetrics(out, "test", report.test());
    if (report.baselines() != null) {
      printComparison(out, report.baselines());
    }
    int last = report.epochs().size() - 1;
    if (!report.taskEpochs().isEmpty() || !report.fineTuneEpochs().isEmpty()) {
      out.println("model saved to " + report.modelDirectory() + ", a state per task:");
      Set<String> tasks = new LinkedHashSet<>(report.test().keySet());
      tasks.addAll(report.dev().keySet());
      for (String task : tasks) {
        Integer epoch = report.taskEpochs().get(task);
        Integer tuned = report.fineTuneEpochs().get(task);
        String from = epoch != null ? "its best dev epoch, " + (epoch + 1) + " of " + (last + 1)
            : "epoch " + (report.selectedEpoch() + 1) + " of " + (last + 1);
        out.println(String.format(Locale.ROOT, "  %-14s from %s%s", task, from,
            tuned == null ? "" : tuned == 0 ? "; fine-tuning did not improve dev" : ", then " + tuned + " epoch(s) of fine-tuning"));
      }
      out.flush();
      return;
    }
    out.println("model saved to " + report.modelDirectory()
        + (report.selectedEpoch() == last ? "" : " (the best, from epoch " + (report.selectedEpoch() + 1) + " of " + (last + 1) + ")"));
    out.flush();
  }

  /** Per task, each metric's sign-adjusted relative gain over its single-task baseline, and Δm%. */
  static void printComparison(PrintWriter out, Baselines.Comparison comparison) {
    if (comparison.tasks().isEmpty()) {
      return;
    }
    out.println("gain over single-task baselines, % (positive is better):");
    comparison.tasks().forEach((task, c) -> {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-14s %-5s", task, c.split()));
      c.gains().forEach((metric, gain) -> row.append(String.format(Locale.ROOT, "  %s %+.2f", metric, gain)));
      out.println(row);
    });
    out.println(String.format(Locale.ROOT, "  Δm%% = %+.2f", comparison.deltaM()));
  }

  /** One row per task, one column per metric; the primary metric is marked with '*'. */
  static void printMetrics(PrintWriter out, String title, Map<String, TaskMetrics> metrics) {
    if (metrics.isEmpty()) {
      return;
    }
    Set<String> columns = new LinkedHashSet<>();
    metrics.values().forEach(m -> columns.addAll(m.values().keySet()));
    int taskWidth = Math.max(Math.max(6, title.length()), metrics.keySet().stream().mapToInt(String::length).max().orElse(4));
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-" + taskWidth + "s %8s", title, "examples"));
    columns.forEach(c -> header.append(String.format(Locale.ROOT, " %16s", c)));
    out.println(header);
    metrics.forEach((task, m) -> {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + taskWidth + "s %8d", task, m.examples()));
      for (String c : columns) {
        Double v = m.values().get(c);
        String cell = v == null ? "-" : String.format(Locale.ROOT, "%.4f", v) + (c.equals(m.primary()) ? "*" : " ");
        row.append(String.format(Locale.ROOT, " %16s", cell));
      }
      out.println(row);
    });
    out.println(String.format(Locale.ROOT, "%-" + taskWidth + "s mean of primary metrics (*): %.4f", "", Evaluator.meanPrimary(metrics)));
    out.flush();
  }
}
