package dev.mtl.cli;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.inference.Calibration;
import dev.mtl.core.task.TaskData;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code mtl calibrate <model> <config-or-data>}. */
@Command(name = "calibrate", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Choose a model's decision thresholds on held-out data and save them in the model.",
    description = {
        "A multi-label task gets one threshold per label, the one with the best F1 on that data. Judge the "
            + "result on other data, e.g. mtl eval MODEL CONFIG --split test. (Training does this itself for tasks "
            + "with `threshold: tune`.)"})
final class CalibrateCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  LabelledData data;

  @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "dev", description = "with a config: the split to calibrate on (default: ${DEFAULT-VALUE})")
  String split;

  @Override
  public Integer call() throws Exception {
    try (MultiTaskModel m = MultiTaskModel.load(data.model)) {
      Map<String, TaskData> labelled = data.read(spec.commandLine(), m, split);
      Map<String, Calibration> calibrations = m.calibrate(labelled);
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "%-16s %-12s %8s %8s  %s%n", "task", "metric", "before", "after", "chosen on " + split);
      calibrations.forEach((name, c) -> out.printf(Locale.ROOT, "%-16s %-12s %8.4f %8.4f  %s%n", name, c.after().primary(),
          c.before().primaryValue(), c.after().primaryValue(), c.chosen().isEmpty() ? "nothing to choose" : summary(c.chosen())));
      out.println("saved in " + data.model.resolve("mtl-model.json") + "; metrics on the data they were chosen on are optimistic");
    }
    return 0;
  }

  /** Each chosen setting; a per-label map as its range and median, since it may have dozens of labels. */
  private static String summary(Map<String, Object> chosen) {
    StringBuilder text = new StringBuilder();
    chosen.forEach((setting, value) -> {
      text.append(text.isEmpty() ? "" : "; ").append(setting).append(' ');
      if (value instanceof Map<?, ?> byLabel) {
        double[] values = byLabel.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sorted().toArray();
        text.append(String.format(Locale.ROOT, "%d labels, %.3f to %.3f (median %.3f)", values.length, values[0],
            values[values.length - 1], values[values.length / 2]));
      } else {
        text.append(value);
      }
    });
    return text.toString();
  }
}
