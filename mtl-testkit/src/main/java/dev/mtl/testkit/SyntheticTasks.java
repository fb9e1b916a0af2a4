package dev.mtl.testkit;

import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Three synthetic tasks over random token sequences with known rules, for testing engines without
 * data files: single-label "does token 5 occur" ({@code has5}), multi-label "which of tokens 6, 7
 * occur" ({@code has67}), regression "share of token 8" ({@code share8}). Token 0 pads.
 */
public final class SyntheticTasks {
  /** Rows of the embedding the synthetic texts need. */
  public static final int VOCAB = 20;
  /** The padding token. */
  public static final int PAD = 0;
  /** The three tasks, in the order of the graph's heads. */
  public static final List<String> TASKS = List.of("has5", "has67", "share8");

  private SyntheticTasks() {}

  /** Embedding (16), encoder (12 hidden units), the encoder's default pooling, one head per task. */
  public static ModelGraph graph(EncoderKind encoder, double dropout) {
    return new ModelGraph(List.of(
        new Layer.Embedding("emb", 16, dropout),
        new Layer.Encoder("enc", "emb", encoder, 12),
        new Layer.Pool("pool", "enc", encoder.defaultPooling())),
        List.of(
            new Head("has5", "pool", new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("no", "yes")), dropout),
            new Head("has67", "pool", new OutputSpec(2, LossKind.SIGMOID_BINARY_CROSS_ENTROPY, List.of("six", "seven")), dropout),
            new Head("share8", "pool", new OutputSpec(1, LossKind.HUBER, List.of("share")), dropout)));
  }

  /** {@code size} random texts of 2 to 11 tokens, about half holding token 5, each with all three tasks' targets. */
  public static SourceBatch batch(Random random, int size) {
    int[][] rows = new int[size][];
    float[][] has5 = new float[size][];
    float[][] has67 = new float[size][];
    float[][] share8 = new float[size][];
    for (int i = 0; i < size; i++) {
      int length = 2 + random.nextInt(10);
      rows[i] = new int[length];
      for (int t = 0; t < length; t++) {
        rows[i][t] = 1 + random.nextInt(VOCAB - 1);
      }
      if (random.nextBoolean()) {
        rows[i][random.nextInt(length)] = 5;
      }
      int[] row = rows[i];
      has5[i] = new float[] {Arrays.stream(row).anyMatch(x -> x == 5) ? 1 : 0};
      has67[i] = new float[] {Arrays.stream(row).anyMatch(x -> x == 6) ? 1 : 0, Arrays.stream(row).anyMatch(x -> x == 7) ? 1 : 0};
      share8[i] = new float[] {(float) Arrays.stream(row).filter(x -> x == 8).count() / length};
    }
    return new SourceBatch(new TokenBatch(rows), Map.of("has5", has5, "has67", has67, "share8", share8));
  }

}
