package dev.mtl.core.engine;

/**
 * Token ids of a batch of texts, one row per text, not padded: the engine pads to the longest row
 * with the text encoder's padding id and masks the padding.
 */
public record TokenBatch(int[][] rows) {
  public int size() {
    return rows.length;
  }

  /** Length of the longest row, at least 1 so that an empty text still has a (masked) position. */
  public int maxLength() {
    int max = 1;
    for (int[] row : rows) {
      max = Math.max(max, row.length);
    }
    return max;
  }
}
