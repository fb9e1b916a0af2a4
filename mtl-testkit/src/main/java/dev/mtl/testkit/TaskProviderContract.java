package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.task.TaskPrediction;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of a task type. Extend it with the provider and settings whose {@code train} file
 * holds a small real sample:
 *
 * <pre>{@code
 * class MyTaskContractTest extends TaskProviderContract {
 *   protected TaskProvider plugin() { return new MyTaskProvider(); }
 *   protected Map<String, Object> settings(Path dir) { return Map.of("train", "sample.tsv"); }
 * }
 * }</pre>
 */
public abstract class TaskProviderContract extends PluginContract<TaskProvider> {
  /** Settings of a valid task with a train file; relative paths resolve against {@link #baseDirectory()}. */
  protected abstract Map<String, Object> settings();

  /** Folder that relative paths in {@link #settings()} resolve against. */
  protected Path baseDirectory() {
    return Path.of(".");
  }

  @Override
  protected final Class<TaskProvider> pluginInterface() {
    return TaskProvider.class;
  }

  /** A task from {@link #settings()}, fitted on its train file as model assembly fits it before training. */
  protected Task createTask() {
    ConfigSection section = ConfigSection.of("contract", baseDirectory(), settings());
    Task task = plugin().create("contract-task", section);
    section.reportUnknownKeys();
    assertThat(section.source().problems()).as("problems with the sample settings").isEmpty();
    task.fit(task.dataFile(DataSplit.TRAIN).orElseThrow());
    return task;
  }

  @Test
  @DisplayName("creates a task with the given name and its provider's type")
  void createsNamedTask() {
    Task task = createTask();
    assertThat(task.name()).isEqualTo("contract-task");
    assertThat(task.type()).isEqualTo(plugin().name());
  }

  @Test
  @DisplayName("reads training data whose targets fit the head's output")
  void readsTrainingData() {
    Task task = createTask();
    Path train = task.dataFile(DataSplit.TRAIN).orElseThrow();
    TaskData data = task.read(train);
    OutputSpec output = task.output();
    assertThat(data.size()).isPositive();
    assertThat(data.targets()).allSatisfy(t -> assertThat(t).hasSize(output.targetWidth()));
    assertThat(data.texts()).allSatisfy(t -> assertThat(t).isNotBlank());
  }

  @Test
  @DisplayName("decodes scores into labels with a score per output, or into a value for regression")
  void decodesScores() {
    Task task = createTask();
    OutputSpec output = task.output();
    float[] scores = new float[output.size()];
    scores[output.size() - 1] = 1f;
    TaskPrediction prediction = task.decode(scores);
    if (output.loss().regression()) {
      assertThat(prediction.value()).isNotNull().isFinite();
    } else {
      assertThat(prediction.scores()).containsOnlyKeys(output.names());
      assertThat(output.names()).containsAll(prediction.labels());
    }
  }

  @Test
  @DisplayName("evaluates its own targets as scores with finite metrics, primary included")
  void evaluatesPerfectScores() {
    Task task = createTask();
    TaskData data = task.read(task.dataFile(DataSplit.TRAIN).orElseThrow());
    OutputSpec output = task.output();
    float[][] targets = data.targets().toArray(new float[0][]);
    float[][] scores = new float[targets.length][];
    for (int i = 0; i < targets.length; i++) {
      scores[i] = perfectScores(output, targets[i]);
    }
    TaskMetrics metrics = task.evaluate(scores, targets);
    assertThat(metrics.values()).containsKey(metrics.primary());
    assertThat(metrics.values().values()).allSatisfy(v -> assertThat(v).isFinite());
    assertThat(metrics.examples()).isEqualTo(targets.length);
  }

  @Test
  @DisplayName("is recreated from its resolved settings alone, with the same outputs and decoding, without reading data")
  void recreatesFromResolvedSettings() {
    Task task = createTask();
    Map<String, Object> settings = new LinkedHashMap<>(task.resolvedSettings());
    for (DataSplit split : DataSplit.values()) {
      settings.remove(split.configName()); // a saved model has no data files to read
    }
    ConfigSection resolved = ConfigSection.of("resolved", Path.of("/nonexistent"), settings);
    Task again = plugin().create("contract-task", resolved);
    assertThat(resolved.source().problems()).isEmpty();
    assertThat(again.output()).isEqualTo(task.output());
    float[] scores = new float[task.output().size()];
    scores[0] = 1f;
    assertThat(again.decode(scores)).isEqualTo(task.decode(scores));
  }

  /** Scores that a perfect model would give for {@code target}. */
  protected static float[] perfectScores(OutputSpec output, float[] target) {
    float[] scores = new float[output.size()];
    switch (output.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> scores[(int) target[0]] = 1f;
      default -> System.arraycopy(target, 0, scores, 0, scores.length);
    }
    return scores;
  }
}
