package dev.mtl.spark;

import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.training.CrossValidation;
import dev.mtl.core.training.TrainingListener;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * Wall time of one cross-validation grid (bench/spark.sh): sequentially in this JVM as {@code mtl cv}
 * runs it, then as Spark tasks on local[1] and local[2]. Each run trains on one thread.
 *
 * <pre>CrossValidationTiming CONFIG FOLDS OUTPUT_DIR KEY=V1,V2</pre>
 */
public final class CrossValidationTiming {
  private CrossValidationTiming() {}

  public static void main(String[] args) throws Exception {
    Path config = Path.of(args[0]);
    int folds = Integer.parseInt(args[1]);
    Path output = Path.of(args[2]);
    String[] grid = args[3].split("=", 2);
    List<CrossValidation.Setting> settings = java.util.Arrays.stream(grid[1].split(","))
        .map(v -> new CrossValidation.Setting(grid[0] + "=" + v, List.of(grid[0] + "=" + v))).toList();
    int runs = settings.size() * folds;
    long start = System.nanoTime();
    new CrossValidation().run(config, List.of("engine.threads=1", "output=" + output.resolve("sequential")), settings, folds,
        PluginRegistry.load(), (setting, fold) -> new TrainingListener() {});
    double sequential = (System.nanoTime() - start) / 1e9;
    System.out.printf("| how | wall s (%d runs) | x sequential |%n|---|---:|---:|%n", runs);
    System.out.printf("| sequential in one JVM (mtl cv) | %.0f | 1.00 |%n", sequential);
    for (int cores : new int[] {1, 2}) {
      SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("cv-timing")
          .config("spark.ui.enabled", "false").getOrCreate();
      try {
        long t = System.nanoTime();
        DistributedCrossValidation.run(spark, config, List.of("output=" + output.resolve("local-" + cores)), settings, folds);
        double seconds = (System.nanoTime() - t) / 1e9;
        System.out.printf("| Spark local[%d], a child JVM per run | %.0f | %.2f |%n", cores, seconds, seconds / sequential);
      } finally {
        spark.stop();
      }
    }
    System.exit(0);
  }
}
