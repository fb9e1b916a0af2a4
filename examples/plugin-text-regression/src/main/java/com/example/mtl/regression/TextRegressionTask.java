package com.example.mtl.regression;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.data.BadRows;
import dev.mtl.core.data.RawRow;
import dev.mtl.core.data.RowFormat;
import dev.mtl.core.data.RowProblem;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.task.TaskPrediction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One real value per text. Targets are standardised with the training mean and standard
 * deviation (unless {@code scale: none}), which keeps the loss on the scale of the other tasks';
 * predictions and metrics are in the original units.
 */
final class TextRegressionTask implements Task {
  private final String name;
  private final RowFormat format;
  private final LossKind loss;
  private final boolean standardise;
  private final boolean skipBadRows;
  private final Map<DataSplit, Path> files = new EnumMap<>(DataSplit.class);
  private Double mean;
  private Double std;

  TextRegressionTask(String name, ConfigSection settings) {
    this.name = name;
    this.format = new RowFormat(settings);
    this.loss = settings.oneOf("loss", "mse", Set.of("mse", "huber")).equals("huber") ? LossKind.HUBER : LossKind.MEAN_SQUARED_ERROR;
    this.standardise = settings.oneOf("scale", "standard", Set.of("standard", "none")).equals("standard");
    this.skipBadRows = settings.oneOf("bad-rows", "fail", Set.of("fail", "skip")).equals("skip");
    for (DataSplit split : DataSplit.values()) {
      settings.file(split.configName()).ifPresent(p -> files.put(split, p));
    }
    if (settings.has("target-mean") || settings.has("target-std")) {
      mean = settings.number("target-mean", 0, -Double.MAX_VALUE, Double.MAX_VALUE);
      std = settings.number("target-std", 1, Double.MIN_NORMAL, Double.MAX_VALUE);
    } else if (standardise && !files.containsKey(DataSplit.TRAIN)) {
      settings.problem("target-mean", null, "is required, with `target-std`, when the task has no `train` file to learn its"
          + " target scale from (or set `scale: none`)");
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return TextRegressionProvider.NAME;
  }

  @Override
  public OutputSpec output() {
    return new OutputSpec(1, loss, List.of("value"));
  }

  @Override
  public Optional<Path> dataFile(DataSplit split) {
    return Optional.ofNullable(files.get(split));
  }

  @Override
  public TaskData read(Path file) {
    Values values = values(file);
    double m = mean();
    double s = std();
    List<float[]> targets = new ArrayList<>();
    for (double v : values.values()) {
      targets.add(new float[] {(float) ((v - m) / s)});
    }
    return new TaskData(values.texts(), targets, file.toString(), values.skipped());
  }

  private record Values(List<String> texts, List<Double> values, int skipped) {}

  private Values values(Path file) {
    RowFormat.Parsed parsed = format.parse(file);
    List<RowProblem> problems = new ArrayList<>(parsed.problems());
    List<String> texts = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (RawRow row : parsed.rows()) {
      String problem = null;
      double value = Double.NaN;
      if (row.text().isBlank()) {
        problem = "has an empty text";
      } else if (row.labels().size() != 1) {
        problem = "needs exactly one value but has " + row.labels();
      } else {
        try {
          value = Double.parseDouble(row.labels().get(0));
          if (!Double.isFinite(value)) {
            problem = "has the value '" + row.labels().get(0) + "', which is not a finite number";
          }
        } catch (NumberFormatException e) {
          problem = "has the value '" + row.labels().get(0) + "', which is not a number";
        }
      }
      if (problem == null) {
        texts.add(row.text());
        values.add(value);
      } else {
        problems.add(new RowProblem(file.toString(), row.line(), problem, RowProblem.excerpt(row.text())));
      }
    }
    return new Values(texts, values, BadRows.handle(name, file.toString(), problems, skipBadRows));
  }

  /**
   * Learns the target scale from the training values, unless the settings give it ({@code
   * target-mean} and {@code target-std}, as a saved model's do) or {@code scale: none}.
   */
  @Override
  public void fit(Path trainFile) {
    if (mean != null) {
      return;
    }
    if (!standardise) {
      mean = 0.0;
      std = 1.0;
      return;
    }
    List<Double> values = values(trainFile).values();
    double m = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    double variance = values.stream().mapToDouble(v -> (v - m) * (v - m)).average().orElse(1);
    mean = m;
    std = variance > 0 ? Math.sqrt(variance) : 1.0;
  }

  /** The training mean, from the settings or {@link #fit}. */
  private double mean() {
    if (mean == null) {
      if (!standardise) {
        return 0.0;
      }
      throw new IllegalStateException("task '" + name + "' has not learned its target scale: fit it on its training data, or give"
          + " `target-mean` and `target-std`");
    }
    return mean;
  }

  private double std() {
    mean(); // fails the same way when the scale is unknown
    return std == null ? 1.0 : std;
  }

  @Override
  public TaskPrediction decode(float[] scores) {
    return TaskPrediction.regression(scores[0] * std() + mean());
  }

  @Override
  public TaskMetrics evaluate(float[][] scores, float[][] targets) {
    double[] predicted = new double[scores.length];
    double[] gold = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      predicted[i] = scores[i][0] * std() + mean();
      gold[i] = targets[i][0] * std() + mean();
    }
    return RegressionMetrics.of(predicted, gold);
  }

  @Override
  public Map<String, Object> resolvedSettings() {
    Map<String, Object> out = new LinkedHashMap<>(format.resolvedSettings());
    out.put("loss", loss == LossKind.HUBER ? "huber" : "mse");
    out.put("scale", standardise ? "standard" : "none");
    out.put("target-mean", mean());
    out.put("target-std", std());
    out.put("bad-rows", skipBadRows ? "skip" : "fail");
    return out;
  }
}
