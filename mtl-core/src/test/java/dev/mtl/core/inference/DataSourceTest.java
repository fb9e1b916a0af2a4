package dev.mtl.core.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.text.TextEncoder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DataSourceTest {
  /** One id per character, enough to tell texts apart. */
  private static final TextEncoder CHARS = new TextEncoder() {
    @Override
    public int[] encode(String text) {
      return text.chars().map(c -> 2 + c % 50).toArray();
    }

    @Override
    public int vocabularySize() {
      return 52;
    }

    @Override
    public int paddingId() {
      return 0;
    }

    @Override
    public int maxLength() {
      return 100;
    }

    @Override
    public void save(Path directory) {}
  };

  @Test
  @DisplayName("row weights (pseudo-labelled rows) reach the batches of their task only, row for row")
  void rowWeightsReachBatches() {
    List<String> texts = List.of("a", "bb", "ccc", "dddd");
    List<float[]> targets = List.of(new float[] {0}, new float[] {1}, new float[] {1}, new float[] {0});
    Map<String, TaskData> data = new LinkedHashMap<>();
    data.put("weighted", new TaskData(texts, targets, "w", 0, new float[] {1, 1, 0.5f, 0.25f}));
    data.put("plain", new TaskData(texts, targets, "p", 0));
    List<DataSource> sources = DataSource.group(data, CHARS);
    assertThat(sources).hasSize(1); // same texts: one source for both tasks
    SourceBatch batch = sources.get(0).batch(new int[] {3, 0, 2});
    assertThat(batch.rowWeights()).containsOnlyKeys("weighted");
    assertThat(batch.rowWeights().get("weighted")).containsExactly(0.25f, 1f, 0.5f);
    assertThat(batch.targets().get("plain")[0]).containsExactly(0f);
  }

  @Test
  @DisplayName("a selection of a task's rows keeps their texts, targets and row weights in order")
  void selectedRowsKeepTheirWeights() {
    TaskData data = new TaskData(List.of("a", "bb", "ccc", "dddd"), List.of(new float[] {0}, new float[] {1}, new float[] {1}, new float[] {0}),
        "w", 2, new float[] {1, 0.75f, 0.5f, 0.25f});
    TaskData odd = data.rows(row -> row % 2 == 1, "odd rows", 0);
    assertThat(odd.texts()).containsExactly("bb", "dddd");
    assertThat(odd.targets()).extracting(t -> t[0]).containsExactly(1f, 0f);
    assertThat(odd.rowWeights()).containsExactly(0.75f, 0.25f);
    assertThat(odd.source()).isEqualTo("odd rows");
    assertThat(new TaskData(data.texts(), data.targets(), "plain", 0).rows(row -> row < 1, "first", 0).rowWeights()).isNull();
  }
}
