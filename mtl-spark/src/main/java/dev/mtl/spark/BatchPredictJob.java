package dev.mtl.spark;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The batch prediction job for {@code spark-submit}: reads texts, predicts every task with the
 * model (shipped with the job, loaded once per executor), writes JSON lines.
 *
 * <pre>
 * spark-submit --class dev.mtl.spark.BatchPredictJob mtl-spark.jar \
 *   --model runs/goemotions/model --input comments.txt --output predictions/
 * </pre>
 *
 * Options: {@code --format text|tsv|csv|json|parquet} (default from the input's extension; text:
 * one text per line), {@code --text-column NAME} (default {@code text}; in a tsv or csv without a
 * header the columns are {@code _c0, _c1, ...} and the default is {@code _c0}), {@code --partitions N}
 * (repartition the input first; default as read).
 */
public final class BatchPredictJob {
  private BatchPredictJob() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("mtl batch prediction").getOrCreate();
    try {
      long rows = run(spark, args);
      System.err.println("mtl: predicted " + rows + " rows");
    } finally {
      spark.stop();
    }
  }

  /** Runs the job on {@code spark}; returns the number of rows written. */
  public static long run(SparkSession spark, String[] args) {
    Map<String, String> options = parse(args);
    Path model = Path.of(required(options, "--model"));
    String input = required(options, "--input");
    String output = required(options, "--output");
    String format = options.getOrDefault("--format", formatOf(input));
    Dataset<Row> data = switch (format) {
      case "text" -> spark.read().text(input).withColumnRenamed("value", "text");
      case "tsv" -> spark.read().option("sep", "\t").option("quote", "").csv(input);
      case "csv" -> spark.read().option("header", "true").csv(input);
      case "json" -> spark.read().json(input);
      case "parquet" -> spark.read().parquet(input);
      default -> throw new IllegalArgumentException("--format " + format + " is not one of text, tsv, csv, json, parquet");
    };
    String textColumn = options.getOrDefault("--text-column", format.equals("tsv") ? "_c0" : "text");
    if (options.containsKey("--partitions")) {
      data = data.repartition(Integer.parseInt(options.get("--partitions")));
    }
    Dataset<Row> scored = SparkPredictor.ship(spark, model).predict(data, textColumn);
    scored.write().mode("errorifexists").json(output);
    return spark.read().json(output).count();
  }

  private static String formatOf(String input) {
    String name = input.toLowerCase(java.util.Locale.ROOT);
    for (String format : List.of("tsv", "csv", "json", "parquet")) {
      if (name.endsWith("." + format) || name.endsWith("." + format + ".gz")) {
        return format;
      }
    }
    return name.endsWith(".jsonl") ? "json" : "text";
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --option value pairs, got '" + args[i] + "'; usage: --model DIR --input PATH"
            + " --output DIR [--format text|tsv|csv|json|parquet] [--text-column NAME] [--partitions N]");
      }
      options.put(args[i], args[++i]);
    }
    return options;
  }

  private static String required(Map<String, String> options, String name) {
    String value = options.get(name);
    if (value == null) {
      throw new IllegalArgumentException("missing " + name + "; usage: --model DIR --input PATH --output DIR [--format ...]"
          + " [--text-column NAME] [--partitions N]");
    }
    return value;
  }
}
