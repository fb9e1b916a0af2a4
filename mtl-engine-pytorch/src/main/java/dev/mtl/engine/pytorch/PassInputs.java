package dev.mtl.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * A forward pass's batch: token rows padded to the longest (or pretrained sentence vectors, one
 * position each), as the arrays the layers read. Each array is made from the Java rows when a layer
 * first reads it, in the pass's scope: a pass that only runs heads on rows another pass encoded
 * makes none. Where no row is padded, layers skip their masking altogether.
 */
final class PassInputs {
  private final NDManager scope;
  private final int[][] rows;
  private final float[][] vectors;
  private final int paddingId;
  private final StepTables tables;
  private final int time;
  private final int[] lengths;
  private final boolean padded;
  private NDArray tokens;
  private NDArray tableTokens;
  private NDArray features;
  private NDArray mask;

  /**
   * The embedding tables a training step updates row by row: per table, the step's rows as a
   * gradient leaf, and for each token id its position among those rows.
   */
  record StepTables(Map<String, NDArray> leaves, int[] slot) {}

  /**
   * @param rows token ids per text (null when the model reads {@code vectors})
   * @param vectors pretrained sentence vectors per text, or null
   * @param tables row-updated tables of this step, or null
   */
  PassInputs(NDManager scope, int[][] rows, float[][] vectors, int paddingId, StepTables tables) {
    this.scope = scope;
    this.rows = rows;
    this.vectors = vectors;
    this.paddingId = paddingId;
    this.tables = tables;
    int count = size();
    this.lengths = new int[count];
    int longest = vectors != null ? 1 : 0;
    for (int b = 0; b < count; b++) {
      lengths[b] = rows == null ? 1 : rows[b].length;
      longest = Math.max(longest, lengths[b]);
    }
    this.time = Math.max(1, longest);
    this.padded = Arrays.stream(lengths).anyMatch(length -> length < time);
  }

  /** The same pass inputs for some of the rows, in the order given (padded to their own longest). */
  PassInputs select(int[] indices) {
    int[][] someRows = rows == null ? null : new int[indices.length][];
    float[][] someVectors = vectors == null ? null : new float[indices.length][];
    for (int i = 0; i < indices.length; i++) {
      if (someRows != null) {
        someRows[i] = rows[indices[i]];
      }
      if (someVectors != null) {
        someVectors[i] = vectors[indices[i]];
      }
    }
    return new PassInputs(scope, someRows, someVectors, paddingId, tables);
  }

  NDManager scope() {
    return scope;
  }

  int size() {
    return rows != null ? rows.length : vectors.length;
  }

  /** Positions per row: the longest row's tokens (1 for sentence vectors). */
  int time() {
    return time;
  }

  /** Real tokens per row. */
  int[] lengths() {
    return lengths;
  }

  /** Whether some row is shorter than the longest, so padding positions must be masked. */
  boolean padded() {
    return padded;
  }

  /** {@code (batch, time)} int64 token ids, padding included. */
  NDArray tokens() {
    if (tokens == null) {
      tokens = scope.create(paddedIds(id -> id), new Shape(size(), time));
    }
    return tokens;
  }

  /** The row-updated table {@code name}'s gradient leaf, or null when the table is read whole. */
  NDArray tableLeaf(String name) {
    return tables == null ? null : tables.leaves().get(name);
  }

  /** Token ids renumbered into the step's rows of the row-updated tables (see {@link #tableLeaf}). */
  NDArray tableTokens() {
    if (tableTokens == null) {
      int[] slot = tables.slot();
      tableTokens = scope.create(paddedIds(id -> slot[id]), new Shape(size(), time));
    }
    return tableTokens;
  }

  private long[] paddedIds(IntUnaryOperator map) {
    long[] ids = new long[size() * time];
    long pad = map.applyAsInt(paddingId);
    Arrays.fill(ids, pad);
    for (int b = 0; b < rows.length; b++) {
      int[] row = rows[b];
      for (int t = 0; t < row.length; t++) {
        ids[b * time + t] = map.applyAsInt(row[t]);
      }
    }
    return ids;
  }

  /** {@code (batch, 1, width)} pretrained sentence vectors. */
  NDArray features() {
    if (features == null) {
      int width = vectors.length == 0 ? 0 : vectors[0].length;
      float[] flat = new float[vectors.length * width];
      for (int b = 0; b < vectors.length; b++) {
        System.arraycopy(vectors[b], 0, flat, b * width, width);
      }
      features = scope.create(flat, new Shape(vectors.length, 1, width));
    }
    return features;
  }

  /** {@code (batch, time, 1)} float: 1 at real tokens, 0 at padding. */
  NDArray mask() {
    if (mask == null) {
      mask = scope.create(positions(1f, 0f), new Shape(size(), time, 1));
    }
    return mask;
  }

  /** {@code (batch, time, 1)} float: {@code value} at padding, 0 at real tokens, to add before a max or a softmax. */
  NDArray atPadding(float value) {
    return scope.create(positions(0f, value), new Shape(size(), time, 1));
  }

  private float[] positions(float real, float pad) {
    float[] values = new float[size() * time];
    Arrays.fill(values, pad);
    for (int b = 0; b < lengths.length; b++) {
      Arrays.fill(values, b * time, b * time + lengths[b], real);
    }
    return values;
  }

  /** {@code (batch, 1)} float: 1 for rows with a token, 0 for empty ones; null when none is empty. */
  NDArray nonEmptyRows() {
    if (Arrays.stream(lengths).allMatch(length -> length > 0)) {
      return null;
    }
    float[] values = new float[lengths.length];
    for (int b = 0; b < lengths.length; b++) {
      values[b] = lengths[b] > 0 ? 1f : 0f;
    }
    return scope.create(values, new Shape(lengths.length, 1));
  }

  /** {@code (batch, 1)} float: real tokens per row, at least 1. */
  NDArray counts() {
    float[] values = new float[lengths.length];
    for (int b = 0; b < lengths.length; b++) {
      values[b] = Math.max(1, lengths[b]);
    }
    return scope.create(values, new Shape(lengths.length, 1));
  }
}
