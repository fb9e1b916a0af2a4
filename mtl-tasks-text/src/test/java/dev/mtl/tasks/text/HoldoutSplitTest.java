package dev.mtl.tasks.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.run.Holdout;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.training.TrainingData;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SUBJ comes as one file: a holdout carves fixed dev and test rows from it. */
class HoldoutSplitTest {
  @Test
  @DisplayName("SUBJ's 10,000 rows: train, dev and test are disjoint, cover every row, keep the shares and repeat exactly")
  void carvesSubj() {
    ConfigSection section = ConfigSection.of("run.yaml tasks[0]", Path.of("."), Map.of("labels", List.of("subjective", "objective"),
        "label-encoding", "index", "train", SharedData.path("sentence-classic/subj.all").toString()));
    Task subj = new TextClassificationProvider().create("subj", section);
    section.source().throwIfInvalid();
    Map<String, Holdout> holdouts = Map.of("subj", new Holdout(0.1, 0.1));
    TrainingData data = TrainingData.read(List.of(subj), holdouts);
    TaskData train = data.train().get("subj");
    TaskData dev = data.dev().get("subj");
    TaskData test = data.test().get("subj");
    int all = subj.read(subj.dataFile(DataSplit.TRAIN).orElseThrow()).size();
    assertThat(train.size() + dev.size() + test.size()).isEqualTo(all);
    assertThat(dev.size() / (double) all).isCloseTo(0.1, within(0.015));
    assertThat(test.size() / (double) all).isCloseTo(0.1, within(0.015));
    Set<String> trainTexts = new HashSet<>(train.texts());
    assertThat(dev.texts()).noneMatch(trainTexts::contains);
    assertThat(test.texts()).noneMatch(trainTexts::contains);
    assertThat(dev.source()).endsWith("subj.all (holdout dev)");
    assertThat(test.source()).endsWith("subj.all (holdout test)");
    TrainingData again = TrainingData.read(List.of(subj), holdouts);
    assertThat(again.test().get("subj").texts()).isEqualTo(test.texts());
    for (int i = 0; i < test.size(); i++) {
      assertThat(again.test().get("subj").targets().get(i)).containsExactly(test.targets().get(i));
    }
  }
}
