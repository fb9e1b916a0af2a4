package dev.mtl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mtl report <run-dir>}: one self-contained HTML page (PNG charts inlined) from a run's
 * {@code training-log.jsonl} and {@code metrics.json}: training loss, dev metrics, task weights
 * and gradient conflict over training, and the per-task results with Δm%; and the task-affinity
 * heat maps when {@code mtl affinity} has written them into the run directory.
 */
@Command(name = "report", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Write an interactive HTML report of one or more finished runs.",
    description = {
        "One self-contained page (no network needed to view it): every evaluation on a step axis, training "
            + "loss, task weights and gradient conflict, the resolved config, per-task results with per-class "
            + "precision/recall/F1 and a confusion matrix. Several run directories are overlaid on the same charts."})
final class ReportCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String FILE = "report.html";

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "RUN_DIR", description = "a run's output directory (with metrics.json and training-log.jsonl)")
  Path run;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "where to write the page (default: RUN_DIR/report.html)")
  Path output;

  @Override
  public Integer call() throws Exception {
    Path metricsFile = run.resolve("metrics.json");
    Path logFile = run.resolve("training-log.jsonl");
    if (!Files.isRegularFile(metricsFile) || !Files.isRegularFile(logFile)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          run + " lacks metrics.json or training-log.jsonl; is it a finished run's output directory?");
    }
    JsonNode report = JSON.readTree(metricsFile.toFile());
    List<JsonNode> steps = new ArrayList<>();
    for (String line : Files.readAllLines(logFile)) {
      JsonNode event = JSON.readTree(line);
      if (event.path("event").asText().equals("step")) {
        steps.add(event);
      }
    }
    Path target = output != null ? output : run.resolve(FILE);
    String page = html(report, steps);
    // `mtl affinity` on the same config writes into this run directory: show its heat maps too.
    Path affinity = run.resolve(AffinityCommand.DIR).resolve(AffinityCommand.FILE);
    if (Files.isRegularFile(affinity)) {
      page = page.replace("</body></html>\n", AffinityCommand.section(JSON.readTree(affinity.toFile())) + "</body></html>\n");
    }
    AtomicFiles.writeString(target, page);
    spec.commandLine().getOut().println("wrote " + target);
    return 0;
  }

  static String html(JsonNode report, List<JsonNode> steps) throws IOException {
    String name = report.path("run").asText();
    StringBuilder page = new StringBuilder();
    page.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mtl run ").append(escape(name))
        .append("</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
            + "th:first-child,td:first-child{text-align:left}img{max-width:100%}</style></head><body>\n");
    page.append("<h1>Run ").append(escape(name)).append("</h1>\n");
    JsonNode epochs = report.path("epochs");
    // Runs from before model selection kept the last epoch.
    int kept = report.has("selected_epoch") ? report.path("selected_epoch").asInt() + 1 : epochs.size();
    String modelDirectory = report.path("model_directory").asText();
    if (modelDirectory.startsWith("file:")) {
      modelDirectory = Path.of(URI.create(modelDirectory)).toString();
    }
    page.append("<p>").append(epochs.size()).append(" epoch(s), ").append(String.format(Locale.ROOT, "%,d", report.path("parameter_count").asLong()))
        .append(" parameters; model kept from epoch ").append(kept)
        .append(", saved in <code>").append(escape(modelDirectory)).append("</code>.</p>\n");
    page.append(results(report));
    page.append(chart("Training loss per task", "step", "loss", series(steps, "losses")));
    page.append(chart("Dev primary metric per task", "epoch", "metric", devSeries(epochs)));
    page.append(chart("Task weights", "step", "weight", series(steps, "weights")));
    Map<String, XYSeries> conflict = series(steps, "gradient_cosine");
    if (!conflict.isEmpty()) {
      page.append(chart("Gradient conflict: cosine similarity of task gradients (below 0: conflicting)", "step", "cosine", conflict));
    }
    page.append("</body></html>\n");
    return page.toString();
  }

  /** The test (else dev) primary metric per task, with Δ% against single-task baselines where stored. */
  private static String results(JsonNode report) {
    StringBuilder table = new StringBuilder("<h2>Results</h2>\n<table><tr><th>task</th><th>split</th><th>primary metric</th>"
        + "<th>value</th><th>Δ% vs single-task</th></tr>\n");
    JsonNode comparison = report.path("baselines").path("tasks");
    List<String> tasks = new ArrayList<>();
    report.path("test").fieldNames().forEachRemaining(tasks::add);
    report.path("dev").fieldNames().forEachRemaining(t -> {
      if (!tasks.contains(t)) {
        tasks.add(t);
      }
    });
    for (String task : tasks) {
      boolean onTest = report.path("test").has(task);
      JsonNode metrics = report.path(onTest ? "test" : "dev").path(task);
      String primary = metrics.path("primary").asText();
      JsonNode delta = comparison.path(task).path("delta");
      table.append("<tr><td>").append(escape(task)).append("</td><td>").append(onTest ? "test" : "dev").append("</td><td>")
          .append(escape(primary)).append("</td><td>").append(String.format(Locale.ROOT, "%.4f", metrics.path("values").path(primary).asDouble()))
          .append("</td><td>").append(delta.isNumber() ? String.format(Locale.ROOT, "%+.2f", delta.asDouble()) : "-").append("</td></tr>\n");
    }
    JsonNode deltaM = report.path("baselines").path("delta_m");
    table.append("</table>\n<p>").append(deltaM.isNumber()
        ? String.format(Locale.ROOT, "Δm%% against single-task baselines: <b>%+.2f</b>.", deltaM.asDouble())
        : "No single-task baselines stored (run <code>mtl train CONFIG --single-task</code> to add Δm%).").append("</p>\n");
    return table.toString();
  }

  /** One series per key of the object field {@code field} of each step event. */
  private static Map<String, XYSeries> series(List<JsonNode> steps, String field) {
    Map<String, XYSeries> out = new LinkedHashMap<>();
    for (JsonNode step : steps) {
      Iterator<Map.Entry<String, JsonNode>> values = step.path(field).properties().iterator();
      while (values.hasNext()) {
        Map.Entry<String, JsonNode> value = values.next();
        if (Double.isFinite(value.getValue().asDouble())) {
          out.computeIfAbsent(value.getKey(), k -> new XYSeries(k, false)).add(step.path("step").asDouble(), value.getValue().asDouble());
        }
      }
    }
    return out;
  }

  private static Map<String, XYSeries> devSeries(JsonNode epochs) {
    Map<String, XYSeries> out = new LinkedHashMap<>();
    for (JsonNode epoch : epochs) {
      Iterator<Map.Entry<String, JsonNode>> tasks = epoch.path("dev").properties().iterator();
      while (tasks.hasNext()) {
        Map.Entry<String, JsonNode> task = tasks.next();
        String primary = task.getValue().path("primary").asText();
        out.computeIfAbsent(task.getKey(), k -> new XYSeries(k + " " + primary, false))
            .add(epoch.path("epoch").asInt() + 1, task.getValue().path("values").path(primary).asDouble());
      }
    }
    return out;
  }

  private static String chart(String title, String x, String y, Map<String, XYSeries> series) throws IOException {
    if (series.isEmpty()) {
      return "<h2>" + escape(title) + "</h2>\n<p>Nothing recorded.</p>\n";
    }
    XYSeriesCollection data = new XYSeriesCollection();
    series.values().forEach(data::addSeries);
    JFreeChart chart = ChartFactory.createXYLineChart(null, x, y, data, PlotOrientation.VERTICAL, true, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, series.values().iterator().next().getItemCount() <= 30);
    for (int i = 0; i < series.size(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    BufferedImage image = chart.createBufferedImage(1000, 420);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(image, "png", png);
    return "<h2>" + escape(title) + "</h2>\n<img alt=\"" + escape(title) + "\" src=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png.toByteArray()) + "\">\n";
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
