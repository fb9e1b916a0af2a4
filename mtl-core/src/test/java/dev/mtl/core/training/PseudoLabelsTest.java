package dev.mtl.core.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
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
}
