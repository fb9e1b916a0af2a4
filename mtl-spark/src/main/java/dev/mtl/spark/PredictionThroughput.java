package dev.mtl.spark;

import dev.mtl.core.api.MultiTaskModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Measures batch prediction side by side in one JVM (bench/spark.sh): texts per second predicting
 * the same texts with the model directly (batches of {@link SparkPredictor#BATCH}, one thread), then
 * through Spark in local mode with 1 and 2 cores, each after a warm-up pass; and the model's load time.
 *
 * <pre>PredictionThroughput MODEL_DIR TEXTS_FILE [ROUNDS]</pre>
 */
public final class PredictionThroughput {
  private PredictionThroughput() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    List<String> texts = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
      texts.add(line.split("\t")[0]);
    }
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    long start = System.nanoTime();
    MultiTaskModel loaded = ExecutorModels.get(model);
    double loadSeconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("| what | texts/s (median of %d) | x direct |%n|---|---:|---:|%n", rounds);
    double direct = median(rounds + 1, () -> {
      for (int i = 0; i < texts.size(); i += SparkPredictor.BATCH) {
        loaded.predict(texts.subList(i, Math.min(texts.size(), i + SparkPredictor.BATCH)));
      }
    }, texts.size());
    System.out.printf("| direct (MultiTaskModel.predict, one JVM) | %.0f | 1.00 |%n", direct);
    for (int cores : new int[] {1, 2}) {
      SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("throughput")
          .config("spark.ui.enabled", "false").getOrCreate();
      try {
        SparkPredictor predictor = SparkPredictor.ship(spark, model);
        Dataset<Row> data = spark.createDataset(texts, Encoders.STRING()).toDF("text").repartition(4 * cores).cache();
        data.count();
        double rate = median(rounds + 1, () -> predictor.predict(data, "text").write().format("noop").mode("overwrite").save(),
            texts.size());
        System.out.printf("| Spark local[%d], %d partitions | %.0f | %.2f |%n", cores, 4 * cores, rate, rate / direct);
      } finally {
        spark.stop();
      }
    }
    System.out.printf("%nmodel load: %.1f s (once per executor JVM); %d texts%n", loadSeconds, texts.size());
  }

  /** Texts per second: the median of {@code runs - 1} timed runs after one warm-up run. */
  private static double median(int runs, Runnable body, int count) {
    List<Double> rates = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      long start = System.nanoTime();
      body.run();
      if (r > 0) {
        rates.add(count / ((System.nanoTime() - start) / 1e9));
      }
    }
    rates.sort(Double::compare);
    return rates.get(rates.size() / 2);
  }
}
