package dev.mtl.core.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LengthBatcherTest {
  private static int[][] tokens(int n) {
    Random r = new Random(3);
    int[][] t = new int[n][];
    for (int i = 0; i < n; i++) {
      t[i] = new int[1 + r.nextInt(60)];
    }
    return t;
  }

  @Test
  @DisplayName("training batches hold every example exactly once, and the same seed gives the same batches")
  void everyExampleOnce() {
    int[][] tokens = tokens(1000);
    List<int[]> batches = LengthBatcher.trainingBatches(tokens, 32, new Random(1));
    List<Integer> seen = new ArrayList<>();
    batches.forEach(b -> IntStream.of(b).forEach(seen::add));
    assertThat(seen).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 1000).boxed().toList());
    assertThat(batches).allSatisfy(b -> assertThat(b.length).isBetween(1, 32));
    List<int[]> again = LengthBatcher.trainingBatches(tokens, 32, new Random(1));
    assertThat(again).usingRecursiveFieldByFieldElementComparator().isEqualTo(batches);
  }

  @Test
  @DisplayName("length-aware batches waste far less padding than random ones")
  void lessPadding() {
    int[][] tokens = tokens(3200);
    long sorted = padding(tokens, LengthBatcher.trainingBatches(tokens, 32, new Random(1)));
    List<int[]> random = new ArrayList<>();
    for (int i = 0; i < 3200; i += 32) {
      random.add(IntStream.range(i, i + 32).toArray());
    }
    assertThat(sorted).isLessThan(padding(tokens, random) / 5);
  }

  private static long padding(int[][] tokens, List<int[]> batches) {
    long pad = 0;
    for (int[] b : batches) {
      int max = IntStream.of(b).map(i -> tokens[i].length).max().orElse(0);
      pad += IntStream.of(b).map(i -> max - tokens[i].length).sum();
    }
    return pad;
  }
}
