package dev.mtl.core.engine;

/**
 * Token ids of a batch of texts, one row per text, not padded: the engine pads to the longest row
 * with the text encoder's padding id and masks the padding.
 *
 * @param rows token ids per text
 * @param features per text, the pretrained sentence encoder's vector, for graphs with a {@link
 *     dev.mtl.core.model.Layer.Features} layer; null otherwise
 */
public record TokenBatch(int[][] rows, float[][] features) {
  public TokenBatch {
    if (features != null && features.length != rows.length) {
      throw new IllegalArgumentException(features.length + " feature vectors for " + rows.length + " texts");
    }
  }

  public TokenBatch(int[][] rows) {
    this(rows, null);
  }

  /** The texts at {@code indices} of {@code tokens} (and of {@code features}, when not null) as one batch. */
  public static TokenBatch of(int[][] tokens, float[][] features, int[] indices) {
    int[][] rows = new int[indices.length][];
    float[][] batchFeatures = features == null ? null : new float[indices.length][];
    for (int i = 0; i < indices.length; i++) {
      rows[i] = tokens[indices[i]];
      if (features != null) {
        batchFeatures[i] = features[indices[i]];
      }
    }
    return new TokenBatch(rows, batchFeatures);
  }

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
