package dev.mtl.core.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PseudoLabelsTest {
  private static final float[][] SCORES = {
      {0.95f, 0.05f, 0f}, // 0: class 0, confident
      {0.89f, 0.11f, 0f}, // 1: class 0, just below 0.9
      {0.90f, 0.10f, 0f}, // 2: class 0, exactly at the threshold
      {0.02f, 0.97f, 0.01f}, // 3: class 1
      {0.99f, 0.01f, 0f}, // 4: class 0, most confident
      {0.3f, 0.3f, 0.4f}, // 5: class 2, unsure
      {0.0f, 0.0f, 1.0f}, // 6: class 2
      {0.97f, 0.03f, 0f}}; // 7: class 0

  @Test
  @DisplayName("picks exactly the predictions at or above the threshold, by class, most confident first")
  void threshold() {
    List<PseudoLabels.Pick> picks = PseudoLabels.select(SCORES, IntStream.range(0, 8).boxed().toList(), 0.9, 100);
    assertThat(picks).extracting(PseudoLabels.Pick::index).containsExactly(4, 7, 0, 2, 3, 6);
    assertThat(picks).extracting(PseudoLabels.Pick::label).containsExactly(0, 0, 0, 0, 1, 2);
  }

  @Test
  @DisplayName("at most max-per-class per class, keeping the most confident; only candidates are considered")
  void classCap() {
    List<PseudoLabels.Pick> picks = PseudoLabels.select(SCORES, List.of(0, 2, 3, 4, 6, 7), 0.9, 2);
    assertThat(picks).extracting(PseudoLabels.Pick::index).containsExactly(4, 7, 3, 6);
    assertThat(PseudoLabels.select(SCORES, List.of(1, 5), 0.9, 2)).isEmpty();
  }

  @Test
  @DisplayName("on random scores: every pick is confident, no class exceeds the cap, and no confident text of an uncapped class is left out")
  void randomScores() {
    Random random = new Random(3);
    float[][] scores = new float[2000][];
    for (int i = 0; i < scores.length; i++) {
      float a = random.nextFloat();
      float b = random.nextFloat() * (1 - a);
      scores[i] = new float[] {a, b, 1 - a - b};
    }
    List<Integer> all = IntStream.range(0, scores.length).boxed().toList();
    List<PseudoLabels.Pick> picks = PseudoLabels.select(scores, all, 0.8, 150);
    int[] perClass = new int[3];
    for (PseudoLabels.Pick p : picks) {
      assertThat(p.confidence()).isGreaterThanOrEqualTo(0.8);
      assertThat(scores[p.index()][p.label()]).isEqualTo((float) p.confidence());
      perClass[p.label()]++;
    }
    for (int c = 0; c < 3; c++) {
      int label = c;
      long confident = all.stream().filter(i -> scores[i][label] >= 0.8f).count();
      assertThat(perClass[c]).isEqualTo((int) Math.min(150, confident));
    }
  }

  @Test
  @DisplayName("multi-label: a text qualifies only when every label is sure either way and one is present; no label passes its cap")
  void multiLabel() {
    float[][] scores = {
        {0.95f, 0.02f, 0.01f}, // 0: label 0, every decision sure (least sure 0.95)
        {0.97f, 0.93f, 0.00f}, // 1: labels 0 and 1 (least sure 0.93)
        {0.99f, 0.50f, 0.00f}, // 2: label 1 unsure: out
        {0.05f, 0.05f, 0.05f}, // 3: sure, but no label present: out
        {0.99f, 0.01f, 0.01f}, // 4: label 0, the surest
        {0.01f, 0.01f, 0.91f}, // 5: label 2 (least sure 0.91)
        {0.92f, 0.08f, 0.10f}}; // 6: label 0; 0.10 is exactly 1 - 0.9, still sure (least sure 0.90)
    List<Integer> all = IntStream.range(0, scores.length).boxed().toList();
    List<PseudoLabels.MultiLabelPick> picks = PseudoLabels.selectMultiLabel(scores, all, 0.9, 100);
    assertThat(picks).extracting(PseudoLabels.MultiLabelPick::index).containsExactly(4, 0, 1, 5, 6);
    assertThat(picks.get(2).labels()).containsExactly(0, 1);
    assertThat(picks.get(2).confidence()).isCloseTo(0.93, Offset.offset(1e-6));
    // Cap 2: label 0 fills with 4 and 0, so 1 (labels 0 and 1) and 6 are out; 5 (label 2) stays.
    assertThat(PseudoLabels.selectMultiLabel(scores, all, 0.9, 2)).extracting(PseudoLabels.MultiLabelPick::index).containsExactly(4, 0, 5);
  }
}
