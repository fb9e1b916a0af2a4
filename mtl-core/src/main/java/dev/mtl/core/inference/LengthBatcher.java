package dev.mtl.core.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Length-aware batching: examples of similar length go together so little compute is spent on
 * padding, while the order still varies from epoch to epoch.
 */
public final class LengthBatcher {
  /** Examples sorted together before cutting batches: large enough to group lengths, small enough to stay random. */
  private static final int POOL_BATCHES = 50;

  private LengthBatcher() {}

  /**
   * Shuffles, sorts by length within pools of {@value #POOL_BATCHES} batches, cuts batches and
   * shuffles their order.
   */
  public static List<int[]> trainingBatches(int[][] tokens, int batchSize, Random random) {
    List<Integer> order = new ArrayList<>(IntStream.range(0, tokens.length).boxed().toList());
    Collections.shuffle(order, random);
    List<int[]> batches = new ArrayList<>();
    int pool = batchSize * POOL_BATCHES;
    for (int start = 0; start < order.size(); start += pool) {
      List<Integer> chunk = new ArrayList<>(order.subList(start, Math.min(order.size(), start + pool)));
      chunk.sort(Comparator.comparingInt(i -> tokens[i].length));
      for (int b = 0; b < chunk.size(); b += batchSize) {
        batches.add(chunk.subList(b, Math.min(chunk.size(), b + batchSize)).stream().mapToInt(Integer::intValue).toArray());
      }
    }
    Collections.shuffle(batches, random);
    return batches;
  }

  /** Every example once, sorted by length, for evaluation and prediction; order is restored by index. */
  public static List<int[]> sortedBatches(int[][] tokens, int batchSize) {
    Integer[] order = IntStream.range(0, tokens.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt(i -> tokens[i].length));
    List<int[]> batches = new ArrayList<>();
    for (int b = 0; b < order.length; b += batchSize) {
      batches.add(Arrays.stream(order, b, Math.min(order.length, b + batchSize)).mapToInt(Integer::intValue).toArray());
    }
    return batches;
  }
}
