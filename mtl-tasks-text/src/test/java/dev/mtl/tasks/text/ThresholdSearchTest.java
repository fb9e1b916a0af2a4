package dev.mtl.tasks.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ThresholdSearchTest {
  @Test
  @DisplayName("hand-worked: accepting the four highest scores gives F1 6/7, so the threshold falls between 0.6 and 0.3")
  void handWorked() {
    float[] scores = {0.9f, 0.8f, 0.7f, 0.6f, 0.3f, 0.2f};
    boolean[] positive = {true, false, true, true, false, false};
    // Accept top 1..6: F1 = 2/4, 2/5, 4/6, 6/7, 6/8, 6/9.
    assertThat(ThresholdSearch.bestF1(scores, positive, 0.5)).isCloseTo(0.45, within(1e-6));
  }

  @Test
  @DisplayName("equal scores are accepted or refused together; all accepted puts the threshold at the lowest score")
  void ties() {
    float[] scores = {0.4f, 0.4f, 0.4f};
    assertThat(ThresholdSearch.bestF1(scores, new boolean[] {true, false, true}, 0.5)).isEqualTo(0.4f);
    float[] unordered = {0.1f, 0.7f, 0.7f, 0.2f};
    boolean[] positive = {false, true, false, false};
    // Accepting both 0.7s (F1 2/3) beats accepting everything down to 0.2 or 0.1.
    assertThat(ThresholdSearch.bestF1(unordered, positive, 0.5)).isCloseTo((0.7 + 0.2) / 2, within(1e-6));
  }

  @Test
  @DisplayName("without a positive example every threshold scores F1 0: the fallback stays")
  void noPositives() {
    assertThat(ThresholdSearch.bestF1(new float[] {0.9f, 0.1f}, new boolean[2], 0.37)).isEqualTo(0.37);
  }

  @Test
  @DisplayName("property: on random scores no threshold (any score, any midpoint, 0 or 1) has a higher F1 than the one chosen")
  void noThresholdBeatsTheChosenOne() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(40);
      float[] scores = new float[n];
      boolean[] positive = new boolean[n];
      for (int i = 0; i < n; i++) {
        scores[i] = random.nextInt(20) / 20f; // coarse, so ties occur
        positive[i] = random.nextDouble() < 0.2 + 0.6 * scores[i];
      }
      positive[random.nextInt(n)] = true;
      double chosen = f1(scores, positive, ThresholdSearch.bestF1(scores, positive, 0.5));
      for (int i = 0; i <= n; i++) {
        double candidate = i == n ? 1.0 : scores[i];
        assertThat(chosen).isGreaterThanOrEqualTo(f1(scores, positive, candidate));
        assertThat(chosen).isGreaterThanOrEqualTo(f1(scores, positive, candidate + 1e-4));
      }
      assertThat(chosen).isGreaterThanOrEqualTo(f1(scores, positive, 0));
    }
  }

  private static double f1(float[] scores, boolean[] positive, double threshold) {
    int tp = 0;
    int fp = 0;
    int fn = 0;
    for (int i = 0; i < scores.length; i++) {
      boolean predicted = scores[i] >= threshold;
      tp += predicted && positive[i] ? 1 : 0;
      fp += predicted && !positive[i] ? 1 : 0;
      fn += !predicted && positive[i] ? 1 : 0;
    }
    return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }
}
