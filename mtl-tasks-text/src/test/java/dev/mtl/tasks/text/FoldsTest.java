package dev.mtl.tasks.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.training.Folds;
import dev.mtl.core.training.TrainingData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-validation folds on real data: GoEmotions' sentiment and emotion label sets over the same
 * texts (multi-label, shared texts) beside TREC (single-label, another dataset) and an SST-2 sample
 * that repeats some GoEmotions texts, so a text is shared across datasets too.
 */
class FoldsTest {
  @TempDir Path dir;

  private Task task(String name, Map<String, Object> settings) {
    return new TextClassificationProvider().create(name, ConfigSection.of("test.yaml", dir, settings));
  }

  private static Path head(String relative, int lines, Path to) throws Exception {
    // Latin-1 copies the bytes as they are (the real files have encoding problems the reader handles).
    var latin1 = StandardCharsets.ISO_8859_1;
    return Files.write(to, Files.readAllLines(SharedData.path(relative), latin1).subList(0, lines), latin1);
  }

  @Test
  @DisplayName("folds are disjoint, cover every row, keep shared texts together and follow every label's share")
  void stratifiedDisjointCovering() throws Exception {
    Path group = head("goemotions/group/train.tsv", 3000, dir.resolve("group.tsv"));
    Path original = head("goemotions/original/train.tsv", 3000, dir.resolve("original.tsv"));
    Path trec = head("sentence-classic/TREC.train.all", 1500, dir.resolve("trec.txt"));
    // SST-2 rows plus ten GoEmotions texts labelled as sentiment: the same text in two datasets.
    List<String> sst = new ArrayList<>(Files.readAllLines(head("sentence-classic/stsa.binary.train", 800, dir.resolve("s.txt"))));
    List<String> goTexts = Files.readAllLines(group).stream().map(l -> l.split("\t")[0]).toList();
    for (int i = 0; i < 10; i++) {
      sst.add((i % 2) + " " + goTexts.get(i * 7));
    }
    Path sst2 = Files.write(dir.resolve("sst2.txt"), sst);
    Map<String, Object> tsv = Map.of("format", "tsv", "text-column", 0, "label-column", 1, "label-encoding", "index", "multi-label", true);
    List<Task> tasks = List.of(
        task("sentiment", with(tsv, "labels", SharedData.path("goemotions/group/labels.txt").toString(), "train", group.toString())),
        task("emotion", with(tsv, "labels", SharedData.path("goemotions/original/labels.txt").toString(), "train", original.toString())),
        task("trec", Map.of("labels", List.of("DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM"), "label-encoding", "index", "train", trec.toString())),
        task("sst2", Map.of("labels", List.of("negative", "positive"), "label-encoding", "index", "train", sst2.toString())));
    TrainingData data = TrainingData.read(tasks, Map.of());
    int k = 5;
    Folds folds = Folds.stratified(tasks, data.train(), k, 7);

    // Every row of every task is tested in exactly one fold and trained on in the others.
    for (Task task : tasks) {
      TaskData all = data.train().get(task.name());
      int tested = 0;
      for (int f = 0; f < k; f++) {
        TrainingData split = folds.split(data, f);
        TaskData test = split.test().get(task.name());
        TaskData train = split.train().get(task.name());
        assertThat(test.size() + train.size()).isEqualTo(all.size());
        Set<String> testTexts = new HashSet<>(test.texts());
        assertThat(train.texts()).as("no text of fold %d is trained on", f).noneMatch(testTexts::contains);
        tested += test.size();
      }
      assertThat(tested).isEqualTo(all.size());
    }
    // A text shared by tasks (the two GoEmotions sets, or GoEmotions and SST-2) is held out by all of them at once.
    for (int f = 0; f < k; f++) {
      TrainingData split = folds.split(data, f);
      Set<String> heldOut = new HashSet<>();
      split.test().values().forEach(d -> heldOut.addAll(d.texts()));
      for (TaskData train : split.train().values()) {
        assertThat(train.texts()).noneMatch(heldOut::contains);
      }
      assertThat(split.train().get("sentiment").texts()).as("tasks over one corpus keep identical texts")
          .isEqualTo(split.train().get("emotion").texts());
    }
    // Stratified: each fold holds close to a k-th of every label with at least 2k examples.
    for (Task task : tasks) {
      Map<Integer, Integer> total = labelCounts(task, data.train().get(task.name()));
      for (int f = 0; f < k; f++) {
        Map<Integer, Integer> inFold = labelCounts(task, folds.split(data, f).test().get(task.name()));
        int fold = f;
        total.forEach((label, n) -> {
          if (n >= 2 * k) {
            // Random folds miss by about sqrt(n/k) rows (14 for the commonest label here); these by at most 1 + 5%.
            double expected = n / (double) k;
            assertThat((double) inFold.getOrDefault(label, 0)).as("%s label %d (%d rows), fold %d", task.name(), label, n, fold)
                .isCloseTo(expected, Offset.offset(1 + 0.05 * expected));
          }
        });
      }
    }
    // The seed only breaks ties: same seed, same folds.
    Folds again = Folds.stratified(tasks, data.train(), k, 7);
    for (String text : data.train().get("trec").texts()) {
      assertThat(again.foldOf(text)).isEqualTo(folds.foldOf(text));
    }
  }

  private static Map<String, Object> with(Map<String, Object> base, Object... more) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    for (int i = 0; i < more.length; i += 2) {
      out.put((String) more[i], more[i + 1]);
    }
    return out;
  }

  private static Map<Integer, Integer> labelCounts(Task task, TaskData data) {
    Map<Integer, Integer> counts = new HashMap<>();
    boolean multi = task.output().loss() == LossKind.SIGMOID_BINARY_CROSS_ENTROPY;
    for (float[] target : data.targets()) {
      if (multi) {
        for (int i = 0; i < target.length; i++) {
          if (target[i] > 0.5f) {
            counts.merge(i, 1, Integer::sum);
          }
        }
      } else {
        counts.merge((int) target[0], 1, Integer::sum);
      }
    }
    return counts;
  }
}
