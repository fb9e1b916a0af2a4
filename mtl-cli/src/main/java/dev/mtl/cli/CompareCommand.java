package dev.mtl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl compare <run-dir>...}: one Markdown table row per run. */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Compare finished runs side by side.",
    description = {
        "One row per run directory, named by the directory: its sharing strategy, loss weighting and task "
            + "sampling, each task's primary test metric (dev where a task has no test split), Δm%% against "
            + "single-task baselines, training time and parameters. A Markdown table, or one JSON document with "
            + "--json."})
final class CompareCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "run output directories (with metrics.json and model/)")
  List<Path> runs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    List<JsonNode> reports = new ArrayList<>();
    List<String> strategies = new ArrayList<>();
    Set<String> tasks = new LinkedHashSet<>();
    for (Path run : runs) {
      Path metrics = run.resolve("metrics.json");
      if (!Files.isRegularFile(metrics)) {
        throw new CommandLine.ParameterException(spec.commandLine(), run + " has no metrics.json; is it a finished run's output directory?");
      }
      JsonNode report = JSON.readTree(metrics.toFile());
      reports.add(report);
      JsonNode manifest = JSON.readTree(run.resolve("model/mtl-model.json").toFile());
      strategies.add(manifest.get("sharing").get("type").asText());
      report.get("test").fieldNames().forEachRemaining(tasks::add);
      report.get("dev").fieldNames().forEachRemaining(tasks::add);
    }
    PrintWriter out = spec.commandLine().getOut();
    StringBuilder header = new StringBuilder("| run | sharing |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (String task : tasks) {
      header.append(' ').append(task).append(" |");
      rule.append("---|");
    }
    out.println(header + " Δm% | train s | parameters |");
    out.println(rule + "---|---|---|");
    for (int i = 0; i < reports.size(); i++) {
      JsonNode report = reports.get(i);
      StringBuilder row = new StringBuilder("| " + report.get("run").asText() + " | " + strategies.get(i) + " |");
      for (String task : tasks) {
        row.append(' ').append(primary(report, task)).append(" |");
      }
      JsonNode baselines = report.get("baselines");
      String delta = baselines == null || baselines.isNull() ? "-" : String.format(Locale.ROOT, "%+.2f", baselines.get("deltaM").asDouble());
      double seconds = 0;
      for (JsonNode epoch : report.get("epochs")) {
        seconds += epoch.get("seconds").asDouble();
      }
      row.append(String.format(Locale.ROOT, " %s | %.0f | %,d |", delta, seconds, report.get("parameterCount").asLong()));
      out.println(row);
    }
    return 0;
  }

  private static String primary(JsonNode report, String task) {
    for (String split : List.of("test", "dev")) {
      JsonNode m = report.get(split).get(task);
      if (m != null) {
        String name = m.get("primary").asText();
        return String.format(Locale.ROOT, "%s %.4f%s", name, m.get("values").get(name).asDouble(), split.equals("dev") ? " (dev)" : "");
      }
    }
    return "-";
  }
}
