package dev.mtl.core.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ClassReportTest {
  @Test
  @DisplayName("single-label: per-class precision/recall/F1 and support, confusion of gold rows against predicted columns")
  void singleLabel() {
    // gold a a a b b c; predicted a a b b c c
    boolean[][] gold = oneHot(3, 0, 0, 0, 1, 1, 2);
    boolean[][] predicted = oneHot(3, 0, 0, 1, 1, 2, 2);
    ClassReport report = ClassReport.of(List.of("a", "b", "c"), predicted, gold, false);
    assertThat(report.classes()).extracting(ClassReport.ClassResult::support).containsExactly(3L, 2L, 1L);
    ClassReport.ClassResult b = report.classes().get(1);
    assertThat(b.precision()).isEqualTo(0.5);
    assertThat(b.recall()).isEqualTo(0.5);
    assertThat(b.f1()).isEqualTo(0.5);
    assertThat(report.confusionLabels()).containsExactly("a", "b", "c");
    assertThat(report.confusion()).isDeepEqualTo(new long[][] {{2, 1, 0}, {0, 1, 1}, {0, 0, 1}});
  }

  @Test
  @DisplayName("many classes: the confusion matrix keeps the most frequent 30, in label order")
  void keepsMostFrequent() {
    int classes = 40;
    List<String> labels = IntStream.range(0, classes).mapToObj(c -> "c" + c).toList();
    // Class c occurs c+1 times: the 30 most frequent are c10..c39.
    int[] rows = IntStream.range(0, classes).flatMap(c -> IntStream.range(0, c + 1).map(i -> c)).toArray();
    boolean[][] gold = oneHot(classes, rows);
    ClassReport report = ClassReport.of(labels, gold, gold, true);
    assertThat(report.classes()).hasSize(classes);
    assertThat(report.confusionLabels()).hasSize(ClassReport.CONFUSION_LIMIT).first().isEqualTo("c10");
    assertThat(report.confusion()[0][0]).isEqualTo(11);
  }

  private static boolean[][] oneHot(int classes, int... rows) {
    boolean[][] out = new boolean[rows.length][classes];
    for (int i = 0; i < rows.length; i++) {
      out[i][rows[i]] = true;
    }
    return out;
  }
}
