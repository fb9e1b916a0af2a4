package dev.mtl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtl.core.io.JsonFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl compare <run-dir>...}: one Markdown table row (or JSON object) per run. */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Compare finished runs side by side.",
    description = {
        "One row per run directory, named by the directory: its sharing strategy, loss weighting and task sampling, "
            + "each task's primary test metric (dev where a task has no test split), Δm%% against single-task "
            + "baselines, training time and parameters. A Markdown table, or one JSON document with --json."})
final class CompareCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "run output directories (with metrics.json and model/)")
  List<Path> runs = new ArrayList<>();

  @Option(names = "--json", description = "print one JSON document: {\"schema_version\": 1, \"runs\": [...]}")
  boolean json;

  /**
   * One run's row.
   *
   * @param run the run directory as given
   * @param name the config's name
   * @param tasks per task: {@code split}, {@code metric}, {@code value}
   * @param deltaM Δm% against single-task baselines, or null without them
   */
  record Row(String run, String name, String sharing, String weighting, String sampling, Map<String, Map<String, Object>> tasks,
      Double deltaM, double trainSeconds, long parameters) {}

  @Override
  public Integer call() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (Path run : runs) {
      rows.add(read(run));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(JsonFiles.mapper().writeValueAsString(JsonFiles.document(Map.of("runs", rows))));
      out.flush();
      return 0;
    }
    Set<String> tasks = new LinkedHashSet<>();
    rows.forEach(r -> tasks.addAll(r.tasks().keySet()));
    StringBuilder header = new StringBuilder("| run | sharing | weighting | sampling |");
    StringBuilder rule = new StringBuilder("|---|---|---|---|");
    for (String task : tasks) {
      header.append(' ').append(task).append(" |");
      rule.append("---|");
    }
    out.println(header + " Δm% | train s | parameters |");
    out.println(rule + "---|---|---|");
    for (Row r : rows) {
      StringBuilder line = new StringBuilder("| " + r.run() + " | " + r.sharing() + " | " + r.weighting() + " | " + r.sampling() + " |");
      for (String task : tasks) {
        Map<String, Object> m = r.tasks().get(task);
        line.append(' ').append(m == null ? "-" : String.format(Locale.ROOT, "%s %.4f%s", m.get("metric"), (Double) m.get("value"),
            m.get("split").equals("dev") ? " (dev)" : "")).append(" |");
      }
      line.append(String.format(Locale.ROOT, " %s | %.0f | %,d |", r.deltaM() == null ? "-" : String.format(Locale.ROOT, "%+.2f", r.deltaM()),
          r.trainSeconds(), r.parameters()));
      out.println(line);
    }
    out.flush();
    return 0;
  }

  private Row read(Path run) throws Exception {
    Path metrics = run.resolve("metrics.json");
    Path manifestFile = run.resolve("model/mtl-model.json");
    if (!Files.isRegularFile(metrics) || !Files.isRegularFile(manifestFile)) {
      throw new CommandLine.ParameterException(spec.commandLine(), run + " has no metrics.json or model/mtl-model.json;"
          + " is it a finished run's output directory?");
    }
    JsonNode report = JsonFiles.mapper().readTree(metrics.toFile());
    JsonNode manifest = JsonFiles.mapper().readTree(manifestFile.toFile());
    Map<String, Map<String, Object>> tasks = new LinkedHashMap<>();
    for (String split : List.of("test", "dev")) {
      for (Iterator<Map.Entry<String, JsonNode>> it = report.path(split).fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> task = it.next();
        if (!tasks.containsKey(task.getKey())) {
          String primary = task.getValue().path("primary").asText();
          tasks.put(task.getKey(), Map.of("split", split, "metric", primary, "value", task.getValue().path("values").path(primary).asDouble()));
        }
      }
    }
    JsonNode baselines = report.path("baselines");
    // metrics.json before schema_version 1 spelled its keys in camelCase.
    JsonNode delta = baselines.has("delta_m") ? baselines.get("delta_m") : baselines.path("deltaM");
    double seconds = 0;
    for (JsonNode epoch : report.path("epochs")) {
      seconds += epoch.path("seconds").asDouble();
    }
    JsonNode parameters = report.has("parameter_count") ? report.get("parameter_count") : report.path("parameterCount");
    return new Row(run.toString(), report.path("run").asText(), manifest.path("sharing").path("type").asText("-"),
        plugin(manifest, "weighting"), plugin(manifest, "sampling"), tasks, delta.isNumber() ? delta.asDouble() : null, seconds,
        parameters.asLong());
  }

  /** The plugin of a kind that trained the model, from the manifest's {@code versions} ({@code "weighting/dwa": ...}). */
  private static String plugin(JsonNode manifest, String kind) {
    for (Iterator<String> it = manifest.path("versions").fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (key.startsWith(kind + "/")) {
        return key.substring(kind.length() + 1);
      }
    }
    return "-";
  }
}
