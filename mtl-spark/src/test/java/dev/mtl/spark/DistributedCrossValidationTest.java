package dev.mtl.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.training.CrossValidation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `mtl cv` as Spark tasks in local mode: the same fold metrics and report as the sequential run. */
class DistributedCrossValidationTest {
  @TempDir Path dir;

  @Test
  @DisplayName("local[2]: 2 settings x 2 folds as 4 Spark tasks give the fold metrics, Δm and best setting of mtl cv's sequential run")
  void sameAsSequential() throws Exception {
    Files.write(dir.resolve("sentiment.tsv"), SharedData.firstLines("goemotions/group/train.tsv", 300));
    Files.write(dir.resolve("ekman.tsv"), SharedData.firstLines("goemotions/ekman/train.tsv", 300));
    Path config = Files.writeString(dir.resolve("cv.yaml"), """
        output: run
        seed: 5
        task-defaults: {type: text-classification, label-encoding: index, format: tsv, multi-label: true}
        tasks:
          - {name: sentiment, labels: %s, train: sentiment.tsv}
          - {name: ekman, labels: %s, train: ekman.tsv}
        model: {embedding-size: 16, encoder: cnn, hidden-size: 8}
        training: {epochs: 1, batch-size: 32}
        """.formatted(SharedData.path("goemotions/group/labels.txt"), SharedData.path("goemotions/ekman/labels.txt")));
    List<CrossValidation.Setting> settings = List.of(new CrossValidation.Setting("as configured", List.of()),
        new CrossValidation.Setting("model.hidden-size=12", List.of("model.hidden-size=12")));
    CrossValidation.Report sequential = new CrossValidation().run(config, List.of("engine.threads=1", "output=" + dir.resolve("seq")),
        settings, 2, PluginRegistry.load(), (setting, fold) -> new dev.mtl.core.training.TrainingListener() {});
    SparkSession spark = SparkSession.builder().master("local[2]").appName("cv").config("spark.ui.enabled", "false").getOrCreate();
    CrossValidation.Report distributed;
    try {
      distributed = DistributedCrossValidation.run(spark, config, List.of("output=" + dir.resolve("spark")), settings, 2);
    } finally {
      spark.stop();
    }
    assertThat(distributed.foldSizes()).isEqualTo(sequential.foldSizes());
    for (int s = 0; s < settings.size(); s++) {
      assertThat(distributed.settings().get(s).foldTest()).as(settings.get(s).name()).isEqualTo(sequential.settings().get(s).foldTest());
      assertThat(distributed.settings().get(s).foldDeltaM()).isEqualTo(sequential.settings().get(s).foldDeltaM());
    }
    assertThat(distributed.best()).isEqualTo(sequential.best());
    assertThat(distributed.retries()).isEmpty();
    assertThat(dir.resolve("spark/cv/report.json")).exists();
    assertThat(dir.resolve("spark/cv/2-model.hidden-size=12/fold-2/metrics.json")).exists();
  }

  @Test
  @DisplayName("a run whose task fails is retried by Spark (local[2,2]) after its partial output is removed, and the report says so")
  void failedRunRetried() throws Exception {
    Files.write(dir.resolve("sentiment.tsv"), SharedData.firstLines("goemotions/group/train.tsv", 200));
    Path config = Files.writeString(dir.resolve("retry.yaml"), """
        output: run
        task-defaults: {type: text-classification, label-encoding: index, format: tsv, multi-label: true}
        tasks:
          - {name: sentiment, labels: %s, train: sentiment.tsv}
        model: {embedding-size: 8, encoder: mean}
        training: {epochs: 1, batch-size: 32}
        """.formatted(SharedData.path("goemotions/group/labels.txt")));
    // A file where fold 2's run folder goes: its first attempt cannot claim the folder and fails.
    Path blocked = dir.resolve("out/cv/1-as_configured/fold-2");
    Files.createDirectories(blocked.getParent());
    Files.writeString(blocked, "in the way");
    SparkSession spark = SparkSession.builder().master("local[2,2]").appName("cv-retry").config("spark.ui.enabled", "false").getOrCreate();
    CrossValidation.Report report;
    try {
      // As the spark-submit job takes it: mtl cv's options.
      report = CrossValidationJob.run(spark, new String[] {"--config", config.toString(), "--folds", "2", "--set",
          "output=" + dir.resolve("out")});
    } finally {
      spark.stop();
    }
    assertThat(report.retries()).singleElement().asString().contains("'as configured' fold 2").contains("2 times");
    assertThat(report.settings().get(0).foldTest()).hasSize(2).doesNotContainNull();
    assertThat(blocked.resolve("metrics.json")).exists();
  }
}
