package dev.mtl.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.cli.MtlCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/** Batch prediction on Spark in local mode, on a small GoEmotions model: the same answers as `mtl predict`. */
class SparkPredictorTest {
  @TempDir static Path dir;
  static Path model;
  static List<String> texts;
  static SparkSession spark;

  static int cli(String... args) {
    StringWriter err = new StringWriter();
    int code = MtlCli.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
    return code;
  }

  @BeforeAll
  static void trainAndStart() throws Exception {
    List<String> sentiment = SharedData.firstLines("goemotions/group/train.tsv", 400);
    List<String> ekman = SharedData.firstLines("goemotions/ekman/train.tsv", 400);
    Files.write(dir.resolve("sentiment.tsv"), sentiment);
    Files.write(dir.resolve("ekman.tsv"), ekman);
    Path config = Files.writeString(dir.resolve("run.yaml"), """
        output: run
        task-defaults: {type: text-classification, label-encoding: index, format: tsv, multi-label: true}
        tasks:
          - {name: sentiment, labels: %s, train: sentiment.tsv}
          - {name: ekman, labels: %s, train: ekman.tsv}
        model: {embedding-size: 16, encoder: cnn, hidden-size: 8}
        training: {epochs: 1, batch-size: 32}
        """.formatted(SharedData.path("goemotions/group/labels.txt"), SharedData.path("goemotions/ekman/labels.txt")));
    cli("train", config.toString(), "--quiet");
    model = dir.resolve("run/model");
    texts = new ArrayList<>();
    for (String line : SharedData.firstLines("goemotions/group/test.tsv", 150)) {
      texts.add(line.split("\t")[0]);
    }
    spark = SparkSession.builder().master("local[2]").appName("mtl-spark-test").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static Dataset<Row> comments(List<String> values, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      rows.add(RowFactory.create((long) i, values.get(i)));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
    return spark.createDataFrame(rows, schema).repartition(partitions);
  }

  @Test
  @DisplayName("local[2], 6 partitions: every row gets the labels and scores `mtl predict` gives its text; the model loads once")
  void predictionsEqualMtlPredict() throws Exception {
    Path input = Files.write(dir.resolve("texts.txt"), texts);
    Path expectedFile = dir.resolve("predicted.jsonl");
    cli("predict", model.toString(), "--input", input.toString(), "--output", expectedFile.toString());
    List<String> lines = Files.readAllLines(expectedFile);
    ObjectMapper json = new ObjectMapper();

    SparkPredictor predictor = SparkPredictor.ship(spark, model);
    assertThat(predictor.tasks()).containsExactly("sentiment", "ekman");
    List<Row> scored = predictor.predict(comments(texts, 6), "text").collectAsList();
    assertThat(scored).hasSize(texts.size());
    for (Row row : scored) {
      int i = (int) row.getLong(0);
      JsonNode expected = json.readTree(lines.get(i));
      assertThat(row.getString(1)).isEqualTo(expected.get("text").asText());
      for (String task : List.of("sentiment", "ekman")) {
        List<String> labels = CollectionConverters.asJava(row.<scala.collection.immutable.Seq<String>>getAs(task + "_labels"));
        List<String> expectedLabels = new ArrayList<>();
        expected.get(task).get("labels").forEach(l -> expectedLabels.add(l.asText()));
        assertThat(labels).as("row %d %s", i, task).isEqualTo(expectedLabels);
        Map<String, Double> scores = CollectionConverters.asJava(row.<scala.collection.Map<String, Double>>getAs(task + "_scores"));
        expected.get(task).get("scores").fields().forEachRemaining(e ->
            assertThat(scores.get(e.getKey())).as("row %d %s %s", i, task, e.getKey()).isCloseTo(e.getValue().asDouble(), within(1e-6)));
      }
    }
    assertThat(ExecutorModels.loads(model)).as("local mode: one JVM, one load for every partition").isEqualTo(1);
  }

  @Test
  @DisplayName("as a SQL function: mtl_predict(text) gives the same labels; a null text gives null")
  void sqlFunction() {
    SparkPredictor predictor = SparkPredictor.ship(spark, model);
    predictor.registerUdf(spark, "mtl_predict");
    List<String> some = new ArrayList<>(texts.subList(0, 20));
    comments(some, 2).createOrReplaceTempView("comments");
    Map<Long, List<String>> viaSql = new java.util.HashMap<>();
    for (Row row : spark.sql("SELECT id, mtl_predict(text).ekman_labels AS ekman FROM comments").collectAsList()) {
      viaSql.put(row.getLong(0), CollectionConverters.asJava(row.<scala.collection.immutable.Seq<String>>getAs("ekman")));
    }
    for (Row row : predictor.predict(comments(some, 2), "text").collectAsList()) {
      assertThat(viaSql.get(row.getLong(0))).isEqualTo(CollectionConverters.asJava(row.<scala.collection.immutable.Seq<String>>getAs("ekman_labels")));
    }
    List<Row> withNull = spark.sql("SELECT mtl_predict(CAST(NULL AS STRING)) AS p").collectAsList();
    assertThat(withNull.get(0).isNullAt(0)).isTrue();
  }

  @Test
  @DisplayName("a missing text column or a directory without a model is refused with what to do")
  void badInput() {
    SparkPredictor predictor = SparkPredictor.ship(spark, model);
    assertThatThrownBy(() -> predictor.predict(comments(texts.subList(0, 3), 1), "body"))
        .hasMessageContaining("no column 'body'").hasMessageContaining("[id, text]");
    assertThatThrownBy(() -> predictor.predict(comments(texts.subList(0, 3), 1), "id"))
        .hasMessageContaining("column 'id' holds bigint");
    assertThatThrownBy(() -> SparkPredictor.ship(spark, dir))
        .hasMessageContaining("no mtl model in " + dir).hasMessageContaining("mtl train");
  }

  @Test
  @DisplayName("the spark-submit job: GoEmotions test TSV in, one JSON line per row out, labels as `mtl predict` gives them")
  void batchJob() throws Exception {
    Path input = Files.write(dir.resolve("job-input.tsv"),
        SharedData.firstLines("goemotions/group/test.tsv", 40));
    Path output = dir.resolve("job-output");
    long rows = BatchPredictJob.run(spark, new String[] {"--model", model.toString(), "--input", input.toString(),
        "--output", output.toString(), "--partitions", "3"});
    assertThat(rows).isEqualTo(40);
    Map<String, String> sentimentByText = new java.util.HashMap<>();
    for (Row row : spark.read().json(output.toString()).select("_c0", "sentiment_labels").collectAsList()) {
      sentimentByText.put(row.getString(0), String.join(",", CollectionConverters.asJava(row.<scala.collection.immutable.Seq<String>>getAs(1))));
    }
    Path texts = Files.write(dir.resolve("job-texts.txt"), sentimentByText.keySet());
    Path expected = dir.resolve("job-expected.jsonl");
    cli("predict", model.toString(), "--input", texts.toString(), "--output", expected.toString());
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(expected)) {
      JsonNode node = json.readTree(line);
      List<String> labels = new ArrayList<>();
      node.get("sentiment").get("labels").forEach(l -> labels.add(l.asText()));
      assertThat(sentimentByText.get(node.get("text").asText())).isEqualTo(String.join(",", labels));
    }
    assertThatThrownBy(() -> BatchPredictJob.run(spark, new String[] {"--model", model.toString(), "--input", input.toString()}))
        .hasMessageContaining("missing --output");
  }
}
