package dev.mtl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.training.TaskAffinity;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code mtl affinity <config>}. */
@Command(name = "affinity", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Measure which tasks help each other during a short training run.",
    description = {
        "Runs a short training of CONFIG and measures lookahead inter-task affinity (how a step on task i's "
            + "gradient changes task j's loss, Fifty et al. 2021) and the cosine of task gradients on the shared "
            + "parameters. Prints both matrices and suggested task groupings, and writes <output>/affinity/ "
            + "(affinity.json, and affinity.html with heat maps)."})
final class AffinityCommand implements Callable<Integer> {
  static final String DIR = "affinity";
  static final String FILE = "affinity.json";

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CONFIG", description = "the run config (see examples/)")
  Path config;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "300", description = "training steps to run (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--every", paramLabel = "N", defaultValue = "10", description = "measure before every N-th step (default: ${DEFAULT-VALUE})")
  int every;

  @Option(names = "--rate", paramLabel = "RATE", defaultValue = "0.1",
      description = "size of the lookahead gradient step on the shared parameters (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a setting (repeatable)")
  List<String> overrides = new ArrayList<>();

  @picocli.CommandLine.Mixin
  OutputFolder output;

  @Inject
  Provider<PluginRegistry> registry;

  @Inject
  TaskAffinity affinity;

  @Override
  public Integer call() throws Exception {
    if (steps < 1 || every < 1 || !(rate > 0)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--steps and --every must be at least 1 and --rate above 0");
    }
    RunConfig runConfig = RunConfig.load(config, overrides);
    ResolvedRun run = ResolvedRun.resolve(runConfig, registry.get());
    output.claim(runConfig.outputDirectory());
    PrintWriter err = spec.commandLine().getErr();
    boolean terminal = System.console() != null;
    TaskAffinity.Result result = affinity.measure(run, steps, every, rate, (step, total, look) -> {
      String line = String.format(Locale.ROOT, "affinity: measured before step %d of %d", step + 1, total);
      // A terminal gets one updating line; a log gets a line per tenth of the run.
      if (terminal) {
        err.print("\r" + line);
      } else if (step % Math.max(every, total / 10 / every * every) == 0) {
        err.println(line);
      }
      err.flush();
    });
    if (terminal) {
      err.println();
    }
    List<TaskAffinity.Grouping> groupings = TaskAffinity.groupings(result.tasks(), result.affinity(), Math.min(4, result.tasks().size()));
    PrintWriter out = spec.commandLine().getOut();
    out.println(String.format(Locale.ROOT, "%d measurements over %d steps (lookahead step %.3g on the shared parameters)",
        result.measurements(), result.steps(), result.rate()));
    printMatrix(out, "lookahead affinity x 1000 (row: task stepped on; column: task whose loss drops)", result.tasks(), result.affinity(), 1000);
    printMatrix(out, "gradient cosine (shared parameters)", result.tasks(), result.cosine(), 1);
    out.println("suggested groupings (score: mean affinity x 1000 each task gets from its group):");
    for (TaskAffinity.Grouping g : groupings) {
      out.println(String.format(Locale.ROOT, "  %d group(s): %-50s score %.3f", g.groups().size(), g.groups(), 1000 * g.score()));
    }
    Path directory = runConfig.outputDirectory().resolve(DIR);
    Files.createDirectories(directory);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("result", result);
    json.put("groupings", groupings);
    AtomicFiles.writeString(directory.resolve(FILE), JsonFiles.pretty(json));
    AtomicFiles.writeString(directory.resolve("affinity.html"), html(runConfig.name(), result, groupings));
    out.println("written: " + directory.resolve(FILE) + ", " + directory.resolve("affinity.html"));
    out.flush();
    return 0;
  }

  private static void printMatrix(PrintWriter out, String title, List<String> tasks, double[][] m, double scale) {
    out.println(title + ":");
    int width = Math.max(10, tasks.stream().mapToInt(String::length).max().orElse(0) + 2);
    StringBuilder header = new StringBuilder(" ".repeat(width));
    tasks.forEach(t -> header.append(String.format(Locale.ROOT, "%" + width + "s", t)));
    out.println(header);
    for (int i = 0; i < tasks.size(); i++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", tasks.get(i)));
      for (int j = 0; j < tasks.size(); j++) {
        row.append(String.format(Locale.ROOT, "%" + width + ".3f", m[i][j] * scale));
      }
      out.println(row);
    }
  }

  /** A self-contained page: both matrices as colour-coded tables (blue helps, red hurts) and the groupings. */
  static String html(String name, TaskAffinity.Result result, List<TaskAffinity.Grouping> groupings) {
    StringBuilder page = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>task affinity: ")
        .append(escape(name)).append("</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
            + "td,th{padding:.5em 1em;text-align:right;border:1px solid #ddd}th{background:#f4f4f4}</style></head><body>");
    page.append("<h1>Task affinity: ").append(escape(name)).append("</h1><p>").append(result.measurements())
        .append(" measurements over ").append(result.steps()).append(" training steps; lookahead step ").append(result.rate())
        .append(" on the shared parameters.</p>");
    page.append(heatMap("Lookahead affinity &times; 1000 (row: the task stepped on; column: the task whose loss drops)",
        result.tasks(), result.affinity(), 1000));
    page.append(heatMap("Gradient cosine on the shared parameters", result.tasks(), result.cosine(), 1));
    page.append("<h2>Suggested groupings</h2><table><tr><th>groups</th><th>tasks</th><th>score &times; 1000</th></tr>");
    for (TaskAffinity.Grouping g : groupings) {
      page.append("<tr><td>").append(g.groups().size()).append("</td><td style=\"text-align:left\">").append(escape(g.groups().toString()))
          .append("</td><td>").append(String.format(Locale.ROOT, "%.3f", 1000 * g.score())).append("</td></tr>");
    }
    return page.append("</table></body></html>\n").toString();
  }

  /** The heat maps and groupings of an {@code affinity.json}, as a section of a run's report page. */
  static String section(JsonNode json) {
    JsonNode result = json.path("result");
    List<String> tasks = new ArrayList<>();
    result.path("tasks").forEach(t -> tasks.add(t.asText()));
    StringBuilder out = new StringBuilder("<h2>Task affinity</h2><p>From <code>mtl affinity</code>: ")
        .append(result.path("measurements").asInt()).append(" measurements over ").append(result.path("steps").asInt())
        .append(" training steps.</p>");
    out.append(heatMap("Lookahead affinity &times; 1000 (row: the task stepped on; column: the task whose loss drops)", tasks,
        matrix(result.path("affinity")), 1000));
    out.append(heatMap("Gradient cosine on the shared parameters", tasks, matrix(result.path("cosine")), 1));
    out.append("<h3>Suggested groupings</h3><ul>");
    json.path("groupings").forEach(g -> out.append("<li>").append(escape(g.path("groups").toString())).append(String.format(Locale.ROOT,
        " (score %.3f)", 1000 * g.path("score").asDouble())).append("</li>"));
    return out.append("</ul>\n").toString();
  }

  private static double[][] matrix(JsonNode rows) {
    double[][] m = new double[rows.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = new double[rows.get(i).size()];
      for (int j = 0; j < m[i].length; j++) {
        // Jackson writes NaN as the string "NaN".
        m[i][j] = rows.get(i).get(j).isNumber() ? rows.get(i).get(j).asDouble() : Double.NaN;
      }
    }
    return m;
  }

  private static String heatMap(String title, List<String> tasks, double[][] m, double scale) {
    double max = 0;
    for (double[] row : m) {
      for (double v : row) {
        if (Double.isFinite(v)) {
          max = Math.max(max, Math.abs(v));
        }
      }
    }
    StringBuilder table = new StringBuilder("<h2>").append(title).append("</h2><table><tr><th></th>");
    tasks.forEach(t -> table.append("<th>").append(escape(t)).append("</th>"));
    table.append("</tr>");
    for (int i = 0; i < tasks.size(); i++) {
      table.append("<tr><th>").append(escape(tasks.get(i))).append("</th>");
      for (int j = 0; j < tasks.size(); j++) {
        double v = m[i][j];
        double strength = max == 0 || !Double.isFinite(v) ? 0 : Math.abs(v) / max;
        int fade = (int) Math.round(255 * (1 - strength));
        String colour = v >= 0 ? String.format("rgb(%d,%d,255)", fade, fade) : String.format("rgb(255,%d,%d)", fade, fade);
        table.append("<td style=\"background:").append(colour).append("\">")
            .append(String.format(Locale.ROOT, "%.3f", v * scale)).append("</td>");
      }
      table.append("</tr>");
    }
    return table.append("</table>").toString();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
