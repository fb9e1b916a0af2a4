package dev.mtl.spark;

import dev.mtl.core.training.CrossValidation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mtl cv} as a {@code spark-submit} job: the same options, every (setting, fold) run a Spark
 * task ({@link DistributedCrossValidation}), the same {@code cv/report.json}.
 *
 * <pre>
 * spark-submit --class dev.mtl.spark.CrossValidationJob mtl-spark.jar \
 *   --config examples/plain/sentence-classic.yaml --folds 5 --grid sharing.type=hard,mmoe --try "training.learning-rate=0.003"
 * </pre>
 *
 * Options: {@code --config FILE} (required), {@code --folds K} (5), {@code --set KEY=VALUE} (every
 * setting), {@code --try "K=V;K2=V2"} and {@code --grid KEY=V1,V2} (repeatable, as {@code mtl cv}).
 */
public final class CrossValidationJob {
  private CrossValidationJob() {}

  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkSession.builder().appName("mtl cv").getOrCreate();
    try {
      CrossValidation.Report report = run(spark, args);
      System.err.println("mtl: best setting '" + report.best() + "'" + (report.retries().isEmpty() ? ""
          : "; retried: " + report.retries()));
    } finally {
      spark.stop();
    }
  }

  /** Parses the options and runs the cross-validation on {@code spark}. */
  public static CrossValidation.Report run(SparkSession spark, String[] args) throws Exception {
    Path config = null;
    int folds = 5;
    List<String> sets = new ArrayList<>();
    List<String> tries = new ArrayList<>();
    List<String> grid = new ArrayList<>();
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + args[i] + " needs a value; usage: --config FILE [--folds K] [--set K=V]..."
            + " [--try \"K=V;K2=V2\"]... [--grid K=V1,V2]...");
      }
      String value = args[i + 1];
      switch (args[i]) {
        case "--config" -> config = Path.of(value);
        case "--folds" -> folds = Integer.parseInt(value);
        case "--set" -> sets.add(value);
        case "--try" -> tries.add(value);
        case "--grid" -> grid.add(value);
        default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: --config FILE [--folds K] [--set K=V]..."
            + " [--try \"K=V;K2=V2\"]... [--grid K=V1,V2]...");
      }
    }
    if (config == null) {
      throw new IllegalArgumentException("missing --config FILE");
    }
    return DistributedCrossValidation.run(spark, config, sets, CrossValidation.Setting.of(tries, grid), folds);
  }
}
