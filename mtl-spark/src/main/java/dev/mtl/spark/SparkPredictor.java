package dev.mtl.spark;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskPrediction;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Batch prediction on Spark: a {@link Dataset} with a text column comes back with each task's
 * prediction in columns of its own. The model directory ships with the job ({@code addFile}), and
 * every executor JVM loads it once ({@link ExecutorModels}) and predicts its partitions in batches.
 *
 * <p>Per task {@code t}: {@code t_labels} (array of label names: one for a single-label task, those
 * over threshold for a multi-label one) and {@code t_scores} (map of label name to probability); a
 * regression task gets {@code t_value}. A row whose text is null gets null predictions.
 *
 * <pre>{@code
 * SparkPredictor predictor = SparkPredictor.ship(spark, Path.of("runs/goemotions/model"));
 * Dataset<Row> scored = predictor.predict(comments, "text");
 * predictor.registerUdf(spark, "mtl_predict");   // SELECT mtl_predict(text).sentiment_labels FROM comments
 * }</pre>
 */
public final class SparkPredictor implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Texts per call to the model: large enough to amortise a pass, small enough to bound memory. */
  static final int BATCH = 64;

  private final String shippedName;
  private final String driverPath;
  private final List<String> tasks;
  private final List<Boolean> regression;
  private final List<List<String>> labels;

  private SparkPredictor(String shippedName, String driverPath, List<String> tasks, List<Boolean> regression,
      List<List<String>> labels) {
    this.shippedName = shippedName;
    this.driverPath = driverPath;
    this.tasks = tasks;
    this.regression = regression;
    this.labels = labels;
  }

  /**
   * Ships the model in {@code modelDirectory} with the session's jobs and reads its tasks (the
   * driver loads it once, as an executor would). Executors read the shipped copy; where they share
   * the driver's file system (local mode), the directory itself.
   */
  public static SparkPredictor ship(SparkSession spark, Path modelDirectory) {
    Path directory = modelDirectory.toAbsolutePath().normalize();
    if (!Files.isRegularFile(directory.resolve("mtl-model.json"))) {
      throw new IllegalArgumentException("no mtl model in " + directory + " (it has no mtl-model.json); give the `model`"
          + " directory of a finished `mtl train` run");
    }
    MultiTaskModel model = ExecutorModels.get(directory);
    List<String> tasks = new ArrayList<>();
    List<Boolean> regression = new ArrayList<>();
    List<List<String>> labels = new ArrayList<>();
    for (String name : model.tasks()) {
      Task task = model.task(name);
      LossKind loss = task.output().loss();
      tasks.add(name);
      regression.add(loss == LossKind.MEAN_SQUARED_ERROR || loss == LossKind.HUBER);
      labels.add(List.copyOf(task.output().names()));
    }
    spark.sparkContext().addFile(directory.toUri().toString(), true);
    return new SparkPredictor(directory.getFileName().toString(), directory.toString(), List.copyOf(tasks), List.copyOf(regression),
        List.copyOf(labels));
  }

  /** The tasks this model predicts, in the order of their columns. */
  public List<String> tasks() {
    return tasks;
  }

  /** {@code data} with every task's prediction columns appended (see the class comment). */
  public Dataset<Row> predict(Dataset<Row> data, String textColumn) {
    StructType input = data.schema();
    int textIndex = List.of(input.fieldNames()).indexOf(textColumn);
    if (textIndex < 0) {
      throw new IllegalArgumentException("the data has no column '" + textColumn + "'; its columns: " + List.of(input.fieldNames()));
    }
    if (!input.fields()[textIndex].dataType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException("column '" + textColumn + "' holds " + input.fields()[textIndex].dataType().simpleString()
          + ", not text (string); cast it or name the text column");
    }
    StructType output = input;
    for (StructField field : predictionFields()) {
      output = output.add(field);
    }
    MapPartitionsFunction<Row, Row> scoring = rows -> new ScoredRows(rows, textIndex);
    return data.mapPartitions(scoring, Encoders.row(output));
  }

  /**
   * Registers a SQL function {@code name(text)} returning a struct of every task's prediction
   * fields, e.g. {@code SELECT mtl_predict(text).sentiment_labels FROM comments}. It predicts one
   * text per call; {@link #predict} batches and is faster on large tables.
   */
  public void registerUdf(SparkSession spark, String name) {
    StructType type = new StructType(predictionFields().toArray(StructField[]::new));
    UDF1<String, Row> udf = text -> {
      if (text == null) {
        return null;
      }
      return RowFactory.create(values(model().predict(List.of(text)).get(0)).toArray());
    };
    spark.udf().register(name, udf, type);
  }

  private List<StructField> predictionFields() {
    List<StructField> fields = new ArrayList<>();
    for (int t = 0; t < tasks.size(); t++) {
      String task = tasks.get(t);
      if (regression.get(t)) {
        fields.add(DataTypes.createStructField(task + "_value", DataTypes.DoubleType, true));
      } else {
        fields.add(DataTypes.createStructField(task + "_labels", DataTypes.createArrayType(DataTypes.StringType, false), true));
        DataType scores = DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType, false);
        fields.add(DataTypes.createStructField(task + "_scores", scores, true));
      }
    }
    return fields;
  }

  /** One prediction's column values, in the order of {@link #predictionFields}; nulls for a null text. */
  private List<Object> values(Map<String, TaskPrediction> prediction) {
    List<Object> out = new ArrayList<>();
    for (int t = 0; t < tasks.size(); t++) {
      TaskPrediction p = prediction == null ? null : prediction.get(tasks.get(t));
      if (regression.get(t)) {
        out.add(p == null ? null : p.value());
      } else {
        out.add(p == null ? null : CollectionConverters.asScala(p.labels()).toSeq());
        out.add(p == null ? null : scalaMap(p.scores()));
      }
    }
    return out;
  }

  private static scala.collection.Map<String, Double> scalaMap(Map<String, Double> scores) {
    return CollectionConverters.asScala(scores);
  }

  /** The executor's copy of the model: the shipped files, or the driver's directory where the executor can read it. */
  private MultiTaskModel model() {
    Path shipped = Path.of(SparkFiles.get(shippedName));
    return ExecutorModels.get(Files.isRegularFile(shipped.resolve("mtl-model.json")) ? shipped : Path.of(driverPath));
  }

  /** A partition's rows, each with its predictions appended, predicted {@link #BATCH} texts at a time. */
  private final class ScoredRows implements Iterator<Row> {
    private final Iterator<Row> rows;
    private final int textIndex;
    private final List<Row> ready = new ArrayList<>();
    private int next;

    ScoredRows(Iterator<Row> rows, int textIndex) {
      this.rows = rows;
      this.textIndex = textIndex;
    }

    @Override
    public boolean hasNext() {
      if (next < ready.size()) {
        return true;
      }
      ready.clear();
      next = 0;
      List<Row> batch = new ArrayList<>();
      while (batch.size() < BATCH && rows.hasNext()) {
        batch.add(rows.next());
      }
      if (batch.isEmpty()) {
        return false;
      }
      List<String> texts = new ArrayList<>();
      for (Row row : batch) {
        if (!row.isNullAt(textIndex)) {
          texts.add(row.getString(textIndex));
        }
      }
      List<Map<String, TaskPrediction>> predictions = texts.isEmpty() ? List.of() : model().predict(texts);
      int p = 0;
      for (Row row : batch) {
        List<Object> values = new ArrayList<>(CollectionConverters.asJava(row.toSeq()));
        values.addAll(values(row.isNullAt(textIndex) ? null : predictions.get(p++)));
        ready.add(RowFactory.create(values.toArray()));
      }
      return true;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.get(next++);
    }
  }
}
