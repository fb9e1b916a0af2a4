package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.engine.StepResult;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.training.TrainingListener;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private static final LocalDateTime NOON = LocalDateTime.of(2026, 12, 3, 12, 0, 5);

  /** A step whose loss line is far wider than the terminal: ten tasks. */
  private static StepResult wideStep(double loss) {
    Map<String, Double> losses = new LinkedHashMap<>();
    for (int t = 0; t < 10; t++) {
      losses.put("task-number-" + t, loss);
    }
    return new StepResult(losses, Map.of(), 0);
  }

  private static TrainingListener.EpochSummary epoch() {
    return new TrainingListener.EpochSummary(0, 3, Map.of(), Map.of(), Map.of(),
        Map.of("sst2", new TaskMetrics(Map.of("accuracy", 0.75), "accuracy", 10)), 1.5, 0, -1);
  }

  @Test
  @DisplayName("on a terminal the live line fits its width, clears what it overwrites, and shows evaluation progress")
  void terminal() {
    StringWriter text = new StringWriter();
    Progress progress = new Progress(new PrintWriter(text), false, 40, () -> NOON);
    progress.onEpochStart(0, 1, 3);
    progress.onStep(0, 0, 0, 3, wideStep(0.1892));
    progress.onStep(0, 1, 1, 3, wideStep(0.1404));
    progress.onStep(0, 2, 2, 3, wideStep(0.1));
    progress.onEvaluation("dev", 0, 1000);
    progress.onEvaluation("dev", 1000, 1000);
    progress.onEpochEnd(epoch());
    String out = text.toString();
    // Every rewrite of the live line: a carriage return, at most 39 visible characters, then erase-to-end.
    String[] rewrites = out.split("\r");
    int live = 0;
    for (String rewrite : rewrites) {
      String row = rewrite.split("\n")[0];
      if (row.endsWith("\033[K") && row.length() > "\033[K".length()) {
        assertThat(row.length() - "\033[K".length()).as(row).isLessThanOrEqualTo(39);
        live++;
      }
    }
    assertThat(live).isGreaterThanOrEqualTo(2);
    // The evaluation's live line shows its rows and is erased when it is done.
    assertThat(out).contains("evaluating dev: 0 of 1,000 rows\033[K\r\033[K");
    // The epoch's last step keeps its own row; the line after the evaluation's live line clears it first.
    assertThat(out).containsPattern("step 3/3 [^\r\n]*\033\\[K\n\r  evaluating dev: 0 of 1,000 rows");
    progress.onEvaluation("test", 0, 0);
    assertThat(text.toString()).isEqualTo(out);
    assertThat(out).contains("\r\033[Kepoch 1 done in 1.5 s; dev: sst2 accuracy=0.7500").doesNotContain("2026-12-03");
  }

  @Test
  @DisplayName("in a log: whole timestamped lines, no carriage returns, evaluation announced once")
  void log() {
    StringWriter text = new StringWriter();
    Progress progress = new Progress(new PrintWriter(text), false, 0, () -> NOON);
    progress.onEpochStart(0, 1, 3);
    progress.onStep(0, 0, 0, 3, wideStep(0.5));
    progress.onEvaluation("dev", 0, 1000);
    progress.onEvaluation("dev", 500, 1000);
    progress.onEvaluation("dev", 1000, 1000);
    progress.onStep(0, 2, 2, 3, wideStep(0.25));
    progress.onEpochEnd(epoch());
    progress.onTaskStop("sst2", 2, 0);
    progress.onFineTuneStart("sst2", 3, 40);
    progress.onFineTuneEpoch("sst2", 1, 3, 2.25, new TaskMetrics(Map.of("accuracy", 0.8125), "accuracy", 10), true);
    String out = text.toString();
    assertThat(out).doesNotContain("\r", "\033");
    assertThat(out).contains("sst2 stops training: no better dev metric since epoch 1, whose state it keeps\n",
        "fine-tuning sst2 alone: up to 3 epoch(s) of 40 steps\n",
        "fine-tuning sst2: epoch 1/3 done in 2.3 s; dev accuracy=0.8125 (best so far, kept)\n");
    List<String> lines = out.lines().toList();
    assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("2026-12-03 12:00:05  "));
    assertThat(lines).filteredOn(l -> l.contains("evaluating")).containsExactly("2026-12-03 12:00:05    evaluating dev: 1,000 rows");
    // The last step of the epoch is always logged, whole.
    assertThat(lines).anySatisfy(l -> assertThat(l).contains("step 3/3", "task-number-9 0.250"));
  }

  @Test
  @DisplayName("a task without dev or test data is named in a warning, even with --quiet")
  void taskWithoutResults() {
    StringWriter text = new StringWriter();
    new Progress(new PrintWriter(text), true, 0, () -> NOON).onStart(List.of(
        new TrainingListener.TaskSummary("subj", "text-classification", 2, 9000, 0, 0, 0, List.of()),
        new TrainingListener.TaskSummary("sst2", "text-classification", 2, 6000, 800, 1800, 0, List.of())), 100, 1000, "cpu");
    assertThat(text.toString().lines().toList()).singleElement().asString()
        .contains("warning: task 'subj' has no dev or test data", "holdout: {dev: 0.1, test: 0.1}");
  }
}
