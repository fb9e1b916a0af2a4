package dev.mtl.tasks.text;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.data.BadRows;
import dev.mtl.core.data.RawRow;
import dev.mtl.core.data.RowFormat;
import dev.mtl.core.data.RowProblem;
import dev.mtl.core.data.TextLines;
import dev.mtl.core.task.ClassReport;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.task.TaskPrediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Text classification, single-label (softmax cross-entropy) or multi-label (sigmoid, thresholded).
 * See the module README for its settings.
 */
public final class TextClassificationTask implements Task {
  private static final Double DEFAULT_THRESHOLD = 0.5;
  private static final String TUNE = "tune";

  private final String name;
  private final boolean multiLabel;
  private final boolean labelsAreIndices;
  /** A multi-label task's decision threshold per label, in label order; known once the labels are. */
  private double[] thresholds;
  /** {@code threshold} as configured: one number for every label, or a number per label name. */
  private final Object thresholdSetting;
  /** {@code threshold: tune}: choose each label's threshold on dev once training is done. */
  private final boolean tuneThresholds;
  private final boolean skipBadRows;
  /** Keep rows without a label (partial labels) out of this task's loss and metrics, rather than fail. */
  private final boolean maskUnlabelled;
  private final RowFormat format;
  private final Map<DataSplit, Path> files = new EnumMap<>(DataSplit.class);
  private List<String> labels;
  private Map<String, Integer> labelIndex;

  TextClassificationTask(String name, ConfigSection settings) {
    this.name = name;
    this.multiLabel = settings.bool("multi-label", false);
    this.labelsAreIndices = settings.oneOf("label-encoding", "name", Set.of("name", "index")).equals("index");
    Object threshold = settings.has("threshold") ? settings.values().get("threshold") : DEFAULT_THRESHOLD;
    this.tuneThresholds = TUNE.equals(threshold);
    this.thresholdSetting = tuneThresholds ? DEFAULT_THRESHOLD : threshold;
    if (!(thresholdSetting instanceof Number || thresholdSetting instanceof Map)) {
      settings.problem("threshold", threshold, "must be a number between 0 and 1, `tune` (choose each label's threshold on dev"
          + " after training), or a map from label name to number");
    } else if (!multiLabel && !(threshold instanceof Number)) {
      settings.problem("threshold", threshold, "applies to multi-label tasks only (a single-label task predicts its most likely"
          + " label); set `multi-label: true` or remove it");
    }
    this.skipBadRows = settings.oneOf("bad-rows", "fail", Set.of("fail", "skip")).equals("skip");
    this.maskUnlabelled = settings.oneOf("unlabelled-rows", "fail", Set.of("fail", "mask")).equals("mask");
    this.format = new RowFormat(settings);
    for (DataSplit split : DataSplit.values()) {
      settings.file(split.configName()).ifPresent(p -> files.put(split, p));
    }
    this.labels = readLabelSetting(settings);
    if (labels == null && labelsAreIndices) {
      settings.problem("labels", null, "is required with `label-encoding: index`: list the label names, or name a file with one per line");
    } else if (labels == null && !files.containsKey(DataSplit.TRAIN)) {
      settings.problem("labels", null, "is required when the task has no `train` file to learn them from: list the label names,"
          + " or name a file with one per line");
    }
    if (labels != null) {
      setLabels(labels, settings);
    }
  }

  private static List<String> readLabelSetting(ConfigSection settings) {
    if (!settings.has("labels")) {
      return null;
    }
    Object raw = settings.values().get("labels");
    if (raw instanceof List) {
      return settings.strings("labels");
    }
    Optional<Path> file = settings.file("labels");
    if (file.isEmpty() || !Files.isRegularFile(file.get())) {
      return null;
    }
    return TextLines.read(file.get()).stream().map(l -> l.text().trim()).filter(s -> !s.isEmpty()).toList();
  }

  private void setLabels(List<String> names, ConfigSection settings) {
    Map<String, Integer> index = new HashMap<>();
    for (String label : names) {
      if (index.putIfAbsent(label, index.size()) != null) {
        settings.problem("labels", label, "must not repeat a label");
      }
    }
    if (names.size() < 2 && !multiLabel) {
      settings.problem("labels", names, "must have at least two labels for a single-label task");
    }
    if (names.isEmpty()) {
      settings.problem("labels", names, "must not be empty");
    }
    this.labels = List.copyOf(names);
    this.labelIndex = index;
    this.thresholds = resolveThresholds(settings);
  }

  /** One threshold per label from {@code threshold}: a number for all, or a map naming each label it sets (the rest 0.5). */
  private double[] resolveThresholds(ConfigSection settings) {
    double[] out = new double[labels.size()];
    Arrays.fill(out, DEFAULT_THRESHOLD);
    if (thresholdSetting instanceof Number n) {
      Arrays.fill(out, checkedThreshold(settings, "threshold", n));
    } else if (thresholdSetting instanceof Map<?, ?> byLabel) {
      byLabel.forEach((label, value) -> {
        Integer index = labelIndex.get(String.valueOf(label));
        if (index == null) {
          settings.problem("threshold." + label, value, "names no label of the task; its labels are " + describeLabels());
        } else {
          out[index] = checkedThreshold(settings, "threshold." + label, value);
        }
      });
    }
    return out;
  }

  private static double checkedThreshold(ConfigSection settings, String key, Object value) {
    if (value instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 1) {
      return n.doubleValue();
    }
    settings.problem(key, value, "must be a number between 0 and 1");
    return DEFAULT_THRESHOLD;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return TextClassificationProvider.NAME;
  }

  @Override
  public OutputSpec output() {
    return new OutputSpec(labels().size(), multiLabel ? LossKind.SIGMOID_BINARY_CROSS_ENTROPY : LossKind.SOFTMAX_CROSS_ENTROPY, labels());
  }

  /**
   * Without {@code labels} in the config, learns them from the training file: every label it
   * holds, numbers sorted numerically, other names alphabetically. With them, reads nothing.
   */
  @Override
  public void fit(Path trainFile) {
    if (labels != null) {
      return;
    }
    Set<String> seen = new LinkedHashSet<>();
    format.parse(trainFile).rows().forEach(r -> seen.addAll(r.labels()));
    List<String> sorted = new ArrayList<>(seen);
    boolean numeric = sorted.stream().allMatch(s -> s.matches("-?\\d+"));
    sorted.sort(numeric ? Comparator.comparingLong(Long::parseLong) : Comparator.naturalOrder());
    ConfigSection none = ConfigSection.empty("labels of " + trainFile);
    setLabels(sorted, none);
    none.source().throwIfInvalid();
  }

  /** The label names, from the config or learned by {@link #fit}. */
  public List<String> labels() {
    if (labels == null) {
      throw new IllegalStateException("task '" + name + "' has not learned its labels yet: list them in `labels`, or fit it on its "
          + (files.containsKey(DataSplit.TRAIN) ? "train file " + files.get(DataSplit.TRAIN) : "training data (it has no `train` file)")
          + " first");
    }
    return labels;
  }

  @Override
  public Optional<Path> dataFile(DataSplit split) {
    return Optional.ofNullable(files.get(split));
  }

  @Override
  public TaskData read(Path file) {
    List<String> names = labels();
    RowFormat.Parsed parsed = format.parse(file);
    List<RowProblem> problems = new ArrayList<>(parsed.problems());
    List<String> texts = new ArrayList<>();
    List<float[]> targets = new ArrayList<>();
    for (RawRow row : parsed.rows()) {
      String problem = null;
      float[] target = null;
      if (row.text().isBlank()) {
        problem = "has an empty text";
      } else if (row.labels().isEmpty() && maskUnlabelled) {
        target = TaskData.UNLABELLED;
      } else if (row.labels().isEmpty()) {
        problem = "has no label (check `label-column` / `label-field`; if rows may lack this task's label, set"
            + " `unlabelled-rows: mask` to train them on the other tasks only)";
      } else if (!multiLabel && row.labels().size() > 1) {
        problem = "has " + row.labels().size() + " labels " + row.labels() + " but the task is single-label (set `multi-label: true`)";
      } else {
        target = multiLabel ? new float[names.size()] : new float[1];
        for (String raw : row.labels()) {
          Integer index = indexOf(raw);
          if (index == null) {
            problem = "has the unknown label '" + raw + "'; known labels: " + describeLabels();
            break;
          }
          if (multiLabel) {
            target[index] = 1f;
          } else {
            target[0] = index;
          }
        }
      }
      if (problem != null) {
        problems.add(new RowProblem(file.toString(), row.line(), problem, RowProblem.excerpt(row.text())));
      } else {
        texts.add(row.text());
        targets.add(target);
      }
    }
    int skipped = BadRows.handle(name, file.toString(), problems, skipBadRows);
    return new TaskData(texts, targets, file.toString(), skipped);
  }

  private Integer indexOf(String raw) {
    if (!labelsAreIndices) {
      return labelIndex.get(raw);
    }
    try {
      int i = Integer.parseInt(raw);
      return i >= 0 && i < labels.size() ? i : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private String describeLabels() {
    if (labelsAreIndices) {
      return "indices 0.." + (labels.size() - 1);
    }
    return labels.size() <= 30 ? labels.toString() : labels.subList(0, 30) + "...";
  }


  @Override
  public TaskPrediction decode(float[] scores) {
    List<String> labels = labels();
    Map<String, Double> byName = new LinkedHashMap<>();
    for (int i = 0; i < scores.length; i++) {
      byName.put(labels.get(i), (double) scores[i]);
    }
    List<String> chosen = new ArrayList<>();
    if (multiLabel) {
      for (int i = 0; i < scores.length; i++) {
        if (scores[i] >= thresholds[i]) {
          chosen.add(labels.get(i));
        }
      }
    } else {
      chosen.add(labels.get(argmax(scores)));
    }
    return TaskPrediction.classification(chosen, byName);
  }

  @Override
  public Optional<ClassReport> classReport(float[][] scores, float[][] targets) {
    int classes = labels().size();
    boolean[][] predicted = new boolean[scores.length][classes];
    boolean[][] gold = new boolean[scores.length][classes];
    for (int i = 0; i < scores.length; i++) {
      if (multiLabel) {
        for (int c = 0; c < classes; c++) {
          predicted[i][c] = scores[i][c] >= thresholds[c];
          gold[i][c] = targets[i][c] > 0.5f;
        }
      } else {
        predicted[i][argmax(scores[i])] = true;
        gold[i][(int) targets[i][0]] = true;
      }
    }
    return Optional.of(ClassReport.of(labels(), predicted, gold, multiLabel));
  }

  @Override
  public TaskMetrics evaluate(float[][] scores, float[][] targets) {
    return evaluate(scores, targets, thresholds);
  }

  /** Multi-label: the metrics at the thresholds {@link #calibrate} would choose on these rows. */
  @Override
  public TaskMetrics calibratedMetrics(float[][] scores, float[][] targets) {
    return multiLabel ? evaluate(scores, targets, tunedThresholds(scores, targets)) : evaluate(scores, targets);
  }

  private TaskMetrics evaluate(float[][] scores, float[][] targets, double[] labelThresholds) {
    int classes = labels().size();
    if (multiLabel) {
      boolean[][] predicted = new boolean[scores.length][classes];
      boolean[][] gold = new boolean[scores.length][classes];
      for (int i = 0; i < scores.length; i++) {
        for (int c = 0; c < classes; c++) {
          predicted[i][c] = scores[i][c] >= labelThresholds[c];
          gold[i][c] = targets[i][c] > 0.5f;
        }
      }
      return ClassificationMetrics.multiLabel(predicted, gold, classes);
    }
    int[] predicted = new int[scores.length];
    int[] gold = new int[scores.length];
    for (int i = 0; i < scores.length; i++) {
      predicted[i] = argmax(scores[i]);
      gold[i] = (int) targets[i][0];
    }
    return ClassificationMetrics.singleLabel(predicted, gold, classes);
  }

  /**
   * With multi-label outputs, sets each label's threshold to the one that maximises that label's F1
   * on these scores (so their macro-F1 is the highest any per-label thresholds give), halfway between
   * the lowest score it accepts and the next one down, so that scores near the boundary on new data
   * fall on the side dev suggests. A label without positive examples keeps its threshold.
   */
  @Override
  public Map<String, Object> calibrate(float[][] scores, float[][] targets) {
    if (!multiLabel) {
      return Map.of();
    }
    this.thresholds = tunedThresholds(scores, targets);
    return Map.of("threshold", thresholdsByLabel());
  }

  /** Each label's best-F1 threshold on these rows; a label without positive rows keeps its own. */
  private double[] tunedThresholds(float[][] scores, float[][] targets) {
    double[] chosen = thresholds.clone();
    float[] column = new float[scores.length];
    boolean[] gold = new boolean[scores.length];
    for (int c = 0; c < chosen.length; c++) {
      for (int i = 0; i < scores.length; i++) {
        column[i] = scores[i][c];
        gold[i] = targets[i][c] > 0.5f;
      }
      chosen[c] = ThresholdSearch.bestF1(column, gold, chosen[c]);
    }
    return chosen;
  }

  @Override
  public boolean calibrationRequested() {
    return multiLabel && tuneThresholds;
  }

  private Map<String, Double> thresholdsByLabel() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (int c = 0; c < thresholds.length; c++) {
      out.put(labels.get(c), thresholds[c]);
    }
    return out;
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public Map<String, Object> resolvedSettings() {
    Map<String, Object> out = new LinkedHashMap<>(format.resolvedSettings());
    out.put("multi-label", multiLabel);
    out.put("labels", labels());
    out.put("label-encoding", labelsAreIndices ? "index" : "name");
    // One number while every label shares it, else each label's own.
    if (multiLabel) {
      out.put("threshold", Arrays.stream(thresholds).distinct().count() == 1 ? (Object) thresholds[0] : thresholdsByLabel());
    }
    out.put("bad-rows", skipBadRows ? "skip" : "fail");
    out.put("unlabelled-rows", maskUnlabelled ? "mask" : "fail");
    return out;
  }
}
