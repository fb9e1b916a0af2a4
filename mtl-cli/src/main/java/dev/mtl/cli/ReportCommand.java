package dev.mtl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.io.JsonFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mtl report <run-dir>...}: one self-contained HTML page from runs' {@code metrics.json},
 * {@code training-log.jsonl} and {@code config.yaml}, with interactive charts drawn by ECharts
 * (bundled into the page from its webjar: the page needs no network). Several runs are overlaid.
 */
@Command(name = "report", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Write an interactive HTML report of one or more finished runs.",
    description = {
        "One self-contained page (no network needed to view it): every evaluation on a step axis, training loss, "
            + "task weights and gradient conflict, the resolved config, per-task results with per-class "
            + "precision/recall/F1 and a confusion matrix. Several run directories are overlaid on the same charts."})
final class ReportCommand implements Callable<Integer> {
  static final String FILE = "report.html";
  /** The ECharts build inside its webjar (org.webjars.npm:echarts). */
  private static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "run output directories (with metrics.json and training-log.jsonl)")
  List<Path> runs = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "FILE",
      description = "where to write the page (default: RUN_DIR/report.html for one run, ./mtl-report.html for several)")
  Path output;

  /** What the page shows of one run. */
  record Run(String label, JsonNode metrics, List<JsonNode> steps, String config, JsonNode affinity) {}

  @Override
  public Integer call() throws Exception {
    List<Run> loaded = new ArrayList<>();
    for (Path run : runs) {
      loaded.add(read(run, label(run)));
    }
    Path target = output != null ? output : runs.size() == 1 ? runs.get(0).resolve(FILE) : Path.of("mtl-report.html");
    AtomicFiles.writeString(target, html(loaded));
    spec.commandLine().getOut().println("wrote " + target);
    return 0;
  }

  /** A run's name on the page: its directory's name, or the whole path where two runs share a name. */
  private String label(Path run) {
    Path name = run.toAbsolutePath().normalize().getFileName();
    long same = runs.stream().filter(r -> r.toAbsolutePath().normalize().getFileName().equals(name)).count();
    return name == null || same > 1 ? run.toString() : name.toString();
  }

  private Run read(Path run, String label) throws IOException {
    Path metricsFile = run.resolve("metrics.json");
    Path logFile = run.resolve("training-log.jsonl");
    if (!Files.isRegularFile(metricsFile) || !Files.isRegularFile(logFile)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          run + " lacks metrics.json or training-log.jsonl; is it a finished run's output directory?");
    }
    List<JsonNode> steps = new ArrayList<>();
    for (String line : Files.readAllLines(logFile)) {
      JsonNode event = JsonFiles.mapper().readTree(line);
      if (event.path("event").asText().equals("step")) {
        steps.add(event);
      }
    }
    Path config = run.resolve("config.yaml");
    Path affinity = run.resolve(AffinityCommand.DIR).resolve(AffinityCommand.FILE);
    return new Run(label, JsonFiles.mapper().readTree(metricsFile.toFile()), steps,
        Files.isRegularFile(config) ? Files.readString(config) : null,
        Files.isRegularFile(affinity) ? JsonFiles.mapper().readTree(affinity.toFile()) : null);
  }

  static String html(List<Run> runs) throws IOException {
    boolean several = runs.size() > 1;
    String title = several ? "Runs " + String.join(", ", runs.stream().map(Run::label).toList()) : "Run " + name(runs.get(0));
    StringBuilder page = new StringBuilder();
    page.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title)).append("</title>\n<style>")
        .append("body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}")
        .append("table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
        .append("th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.chart{width:100%;height:420px}")
        .append(".heat{width:100%}pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}")
        .append("details{margin:.5em 0}summary{cursor:pointer;font-weight:600}</style></head><body>\n");
    page.append("<h1>").append(escape(title)).append("</h1>\n");
    page.append(summary(runs));
    page.append(results(runs));
    List<ObjectNode> charts = new ArrayList<>();
    chart(page, charts, "Dev metrics at every evaluation", "Each task's primary dev metric after each evaluation (training.eval-every and each epoch's end).",
        "step", "primary metric", devSeries(runs));
    chart(page, charts, "Training loss per task", "Logged every training.log-every steps.", "step", "loss", stepSeries(runs, "losses"));
    Map<String, Line> weights = stepSeries(runs, "weights");
    if (weights.values().stream().flatMap(l -> l.points().stream()).anyMatch(p -> p[1] != 1.0)) {
      chart(page, charts, "Task weights", "The weight each task's loss had at logged steps.", "step", "weight", weights);
    }
    Map<String, Line> conflict = stepSeries(runs, "gradient_cosine");
    if (!conflict.isEmpty()) {
      chart(page, charts, "Gradient conflict", "Cosine similarity of two tasks' gradients on the shared parameters; below 0 they conflict.",
          "step", "cosine", conflict);
    }
    for (Run run : runs) {
      page.append(classes(run, charts, several));
    }
    for (Run run : runs) {
      if (run.config() != null) {
        page.append("<details><summary>Resolved config").append(several ? " of " + escape(run.label()) : "")
            .append(" (config.yaml)</summary><pre>").append(escape(run.config())).append("</pre></details>\n");
      }
      if (run.affinity() != null) {
        page.append(AffinityCommand.section(run.affinity()));
      }
    }
    page.append("<script>").append(echarts()).append("</script>\n<script>\nconst charts = ")
        .append(JsonFiles.mapper().writeValueAsString(charts).replace("</", "<\\/")).append(";\n")
        .append("for (const c of charts) { const chart = echarts.init(document.getElementById(c.id)); chart.setOption(c.option);"
            + " window.addEventListener('resize', () => chart.resize()); }\n</script>\n");
    page.append("</body></html>\n");
    return page.toString();
  }

  private static String name(Run run) {
    return run.metrics().path("run").asText();
  }

  /** One row per run: what it trained and what it kept. */
  private static String summary(List<Run> runs) {
    StringBuilder table = new StringBuilder("<table><tr><th>run</th><th>epochs</th><th>parameters</th><th>model kept from</th>"
        + "<th>train s</th><th>peak RSS MB</th><th>Δm% vs single-task</th></tr>\n");
    for (Run run : runs) {
      JsonNode m = run.metrics();
      double seconds = 0;
      for (JsonNode epoch : m.path("epochs")) {
        seconds += epoch.path("seconds").asDouble();
      }
      JsonNode deltaM = m.path("baselines").path("delta_m");
      long rss = m.path("peak_rss_bytes").asLong(-1);
      table.append("<tr><td>").append(escape(run.label())).append("</td><td>").append(m.path("epochs").size()).append("</td><td>")
          .append(String.format(Locale.ROOT, "%,d", m.path("parameter_count").asLong())).append("</td><td>")
          .append(m.path("task_epochs").size() > 0 ? "each task's best dev epoch" : "epoch " + (m.path("selected_epoch").asInt() + 1))
          .append("</td><td>").append(String.format(Locale.ROOT, "%.0f", seconds)).append("</td><td>")
          .append(rss > 0 ? String.format(Locale.ROOT, "%,d", rss >> 20) : "-").append("</td><td>")
          .append(deltaM.isNumber() ? String.format(Locale.ROOT, "<b>%+.2f</b>", deltaM.asDouble()) : "-").append("</td></tr>\n");
    }
    table.append("</table>\n");
    if (runs.stream().noneMatch(r -> r.metrics().path("baselines").path("delta_m").isNumber())) {
      table.append("<p>No single-task baselines stored (<code>mtl train CONFIG --single-task</code> adds them, and Δm%).</p>\n");
    }
    return table.toString();
  }

  /** Every metric of every task, test (else dev), one row per run and task, with Δ% against baselines. */
  private static String results(List<Run> runs) {
    StringBuilder out = new StringBuilder("<h2>Results</h2>\n");
    List<String> columns = new ArrayList<>();
    for (Run run : runs) {
      for (String split : List.of("test", "dev")) {
        run.metrics().path(split).forEach(task -> task.path("values").fieldNames().forEachRemaining(c -> {
          if (!columns.contains(c)) {
            columns.add(c);
          }
        }));
      }
    }
    out.append("<table><tr><th>task</th>").append(runs.size() > 1 ? "<th>run</th>" : "").append("<th>split</th><th>examples</th>");
    columns.forEach(c -> out.append("<th>").append(escape(c)).append("</th>"));
    out.append("<th>Δ% vs single-task</th></tr>\n");
    for (String task : tasks(runs)) {
      for (Run run : runs) {
        String split = run.metrics().path("test").has(task) ? "test" : "dev";
        JsonNode m = run.metrics().path(split).path(task);
        if (m.isMissingNode()) {
          continue;
        }
        out.append("<tr><td>").append(escape(task)).append("</td>").append(runs.size() > 1 ? "<td>" + escape(run.label()) + "</td>" : "")
            .append("<td>").append(split).append("</td><td>").append(m.path("examples").asInt()).append("</td>");
        for (String c : columns) {
          JsonNode v = m.path("values").path(c);
          String cell = v.isNumber() ? String.format(Locale.ROOT, "%.4f", v.asDouble()) : "-";
          out.append("<td>").append(c.equals(m.path("primary").asText()) ? "<b>" + cell + "</b>" : cell).append("</td>");
        }
        JsonNode delta = run.metrics().path("baselines").path("tasks").path(task).path("delta");
        out.append("<td>").append(delta.isNumber() ? String.format(Locale.ROOT, "%+.2f", delta.asDouble()) : "-").append("</td></tr>\n");
      }
    }
    return out.append("</table>\n<p>Bold: the task's primary metric.</p>\n").toString();
  }

  private static List<String> tasks(List<Run> runs) {
    List<String> tasks = new ArrayList<>();
    for (Run run : runs) {
      for (String split : List.of("test", "dev")) {
        run.metrics().path(split).fieldNames().forEachRemaining(t -> {
          if (!tasks.contains(t)) {
            tasks.add(t);
          }
        });
      }
    }
    return tasks;
  }

  /** Per task: per-class precision/recall/F1 and the confusion matrix on test, as metrics.json holds them. */
  private static String classes(Run run, List<ObjectNode> charts, boolean several) {
    JsonNode reports = run.metrics().path("test_classes");
    if (reports.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder("<h2>Per-class results on test").append(several ? ": " + escape(run.label()) : "").append("</h2>\n");
    for (Iterator<Map.Entry<String, JsonNode>> it = reports.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String task = entry.getKey();
      JsonNode report = entry.getValue();
      out.append("<details open><summary>").append(escape(task)).append(" (").append(report.path("classes").size()).append(" classes")
          .append(report.path("multi_label").asBoolean() ? ", multi-label" : "").append(")</summary>\n");
      out.append("<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>\n");
      for (JsonNode c : report.path("classes")) {
        out.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%d</td></tr>%n",
            escape(c.path("label").asText()), c.path("precision").asDouble(), c.path("recall").asDouble(), c.path("f1").asDouble(),
            c.path("support").asLong()));
      }
      out.append("</table>\n");
      String id = "chart" + charts.size();
      int shown = report.path("confusion_labels").size();
      out.append("<p>Confusion matrix").append(shown < report.path("classes").size() ? " of the " + shown + " most frequent classes" : "")
          .append(report.path("multi_label").asBoolean()
              ? ": examples whose gold labels include the row's class and whose predicted labels include the column's"
              : ": gold class (row) against predicted class (column)")
          .append("; colour: the share of the row's gold examples.")
          .append("</p><div id=\"").append(id).append("\" class=\"heat\" style=\"height:").append(180 + 28 * shown).append("px\"></div>\n");
      charts.add(heatMap(id, report));
      out.append("</details>\n");
    }
    return out.toString();
  }

  private static ObjectNode heatMap(String id, JsonNode report) {
    ObjectNode chart = JsonFiles.mapper().createObjectNode().put("id", id);
    ObjectNode option = chart.putObject("option");
    ArrayNode labels = (ArrayNode) report.path("confusion_labels");
    // Colour by the share of the row's gold examples (a frequent class would otherwise wash out the
    // rest); each cell's label is its count.
    ArrayNode data = option.arrayNode();
    JsonNode matrix = report.path("confusion");
    for (int g = 0; g < matrix.size(); g++) {
      long support = supportOf(report, labels.get(g).asText());
      for (int p = 0; p < matrix.get(g).size(); p++) {
        long count = matrix.get(g).get(p).asLong();
        data.add(option.arrayNode().add(p).add(g).add(support == 0 ? 0 : (double) count / support).add(count));
      }
    }
    option.putObject("tooltip").put("position", "top");
    ObjectNode grid = option.putObject("grid");
    grid.put("left", 110).put("bottom", 110).put("right", 30).put("top", 30);
    ObjectNode x = option.putObject("xAxis");
    x.put("type", "category").put("name", "predicted").put("nameLocation", "middle").put("nameGap", 90).set("data", labels);
    x.putObject("axisLabel").put("rotate", 60).put("interval", 0);
    ObjectNode y = option.putObject("yAxis");
    y.put("type", "category").put("name", "gold").put("nameLocation", "start").put("inverse", true).set("data", labels);
    y.putObject("axisLabel").put("interval", 0);
    ObjectNode visual = option.putObject("visualMap");
    visual.put("dimension", 2).put("min", 0).put("max", 1).put("calculable", true).put("orient", "horizontal").put("left", "center").put("bottom", 0)
        .put("show", false);
    visual.putObject("inRange").putArray("color").add("#f7fbff").add("#08306b");
    ObjectNode series = option.putArray("series").addObject();
    series.put("type", "heatmap").set("data", data);
    series.putObject("label").put("show", labels.size() <= 12).put("formatter", "{@[3]}");
    series.putObject("tooltip").put("formatter", "{@[3]} examples");
    return chart;
  }

  /** The gold examples of a class, from the report's per-class results. */
  private static long supportOf(JsonNode report, String label) {
    for (JsonNode c : report.path("classes")) {
      if (c.path("label").asText().equals(label)) {
        return c.path("support").asLong();
      }
    }
    return 0;
  }

  /**
   * One line of a chart.
   *
   * @param run the index of the run it comes from (overlaid runs differ by line style)
   * @param name the legend's name for it
   * @param key what it shows within the run, e.g. a task (the same key has the same colour in every run)
   * @param points (step, value) pairs
   */
  record Line(int run, String name, String key, List<double[]> points) {}

  /** One line per task's primary dev metric, at every evaluation. */
  private static Map<String, Line> devSeries(List<Run> runs) {
    Map<String, Line> out = new LinkedHashMap<>();
    for (int r = 0; r < runs.size(); r++) {
      for (JsonNode evaluation : runs.get(r).metrics().path("evaluations")) {
        for (Iterator<Map.Entry<String, JsonNode>> it = evaluation.path("metrics").fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> task = it.next();
          String primary = task.getValue().path("primary").asText();
          double value = task.getValue().path("values").path(primary).asDouble(Double.NaN);
          if (Double.isFinite(value)) {
            line(out, runs, r, task.getKey() + " " + primary).points().add(new double[] {evaluation.path("step").asDouble(), value});
          }
        }
      }
    }
    return out;
  }

  /** One line per key of the object field {@code field} of each logged step. */
  private static Map<String, Line> stepSeries(List<Run> runs, String field) {
    Map<String, Line> out = new LinkedHashMap<>();
    for (int r = 0; r < runs.size(); r++) {
      for (JsonNode step : runs.get(r).steps()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = step.path(field).fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> value = it.next();
          if (value.getValue().isNumber() && Double.isFinite(value.getValue().asDouble())) {
            line(out, runs, r, value.getKey()).points().add(new double[] {step.path("step").asDouble(), value.getValue().asDouble()});
          }
        }
      }
    }
    return out;
  }

  /** The line of {@code key} in run {@code r}, named by the run too when several are overlaid. */
  private static Line line(Map<String, Line> lines, List<Run> runs, int r, String key) {
    String name = runs.size() > 1 ? runs.get(r).label() + ": " + key : key;
    return lines.computeIfAbsent(r + "\u0000" + key, k -> new Line(r, name, key, new ArrayList<>()));
  }

  /** ECharts' default palette: one colour per key, the same in every overlaid run. */
  private static final String[] PALETTE = {"#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"};
  /** Overlaid runs: the first solid, then dashed, then dotted. */
  private static final String[] LINE_TYPES = {"solid", "dashed", "dotted"};

  /** A line chart: a step axis, a value axis fitted to the data (not forced to 0), zoom and tooltips. */
  private static void chart(StringBuilder page, List<ObjectNode> charts, String title, String note, String x, String y,
      Map<String, Line> lines) {
    page.append("<h2>").append(escape(title)).append("</h2>\n<p>").append(escape(note)).append("</p>\n");
    if (lines.isEmpty()) {
      page.append("<p>Nothing recorded.</p>\n");
      return;
    }
    String id = "chart" + charts.size();
    page.append("<div id=\"").append(id).append("\" class=\"chart\"></div>\n");
    ObjectNode chart = JsonFiles.mapper().createObjectNode().put("id", id);
    ObjectNode option = chart.putObject("option");
    option.putObject("tooltip").put("trigger", "axis");
    option.putObject("legend").put("type", "scroll").put("top", 0);
    option.putObject("grid").put("left", 60).put("right", 30).put("top", 60).put("bottom", 70);
    option.putObject("xAxis").put("type", "value").put("name", x).put("nameLocation", "middle").put("nameGap", 25).put("min", "dataMin")
        .put("max", "dataMax");
    option.putObject("yAxis").put("type", "value").put("name", y).put("scale", true);
    ArrayNode zoom = option.putArray("dataZoom");
    zoom.addObject().put("type", "inside");
    zoom.addObject().put("type", "slider").put("height", 18).put("bottom", 8);
    ArrayNode all = option.putArray("series");
    List<String> keys = new ArrayList<>();
    lines.values().forEach(line -> {
      if (!keys.contains(line.key())) {
        keys.add(line.key());
      }
      String colour = PALETTE[keys.indexOf(line.key()) % PALETTE.length];
      ObjectNode s = all.addObject().put("name", line.name()).put("type", "line").put("showSymbol", line.points().size() <= 40);
      s.putObject("itemStyle").put("color", colour);
      s.putObject("lineStyle").put("color", colour).put("type", LINE_TYPES[line.run() % LINE_TYPES.length]);
      ArrayNode data = s.putArray("data");
      line.points().forEach(p -> data.add(s.arrayNode().add(p[0]).add(p[1])));
    });
    charts.add(chart);
  }

  /** ECharts, from its webjar on the class path. */
  private static String echarts() throws IOException {
    try (InputStream in = ReportCommand.class.getClassLoader().getResourceAsStream(ECHARTS)) {
      if (in == null) {
        throw new IOException(ECHARTS + " is not on the class path; mtl-cli's build bundles org.webjars.npm:echarts");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
