package dev.mtl.core.model;

/**
 * The sizes of a BERT-style transformer encoder (Devlin et al. 2019), as a {@link Layer.Transformer}
 * needs them. {@link #MINILM_L6} is all-MiniLM-L6-v2's.
 *
 * @param vocabularySize rows of the token embedding (the tokenizer's vocabulary, not the run's)
 * @param width the width of every position's state
 * @param layers number of attention + feed-forward blocks
 * @param heads attention heads per block; {@code width} must be a multiple
 * @param intermediateSize the feed-forward's inner width
 * @param maxPositions the longest text, in tokens, that the position embedding covers
 * @param typeVocabularySize rows of the token-type embedding (mtl feeds type 0 only)
 * @param layerNormEpsilon added to the variance inside every layer norm
 */
public record TransformerShape(int vocabularySize, int width, int layers, int heads, int intermediateSize, int maxPositions,
    int typeVocabularySize, double layerNormEpsilon) {
  /** all-MiniLM-L6-v2 (sentence-transformers): 6 layers of width 384, 12 heads, BERT's WordPiece vocabulary. */
  public static final TransformerShape MINILM_L6 = new TransformerShape(30522, 384, 6, 12, 1536, 512, 2, 1e-12);

  public TransformerShape {
    if (vocabularySize < 1 || width < 1 || layers < 0 || heads < 1 || intermediateSize < 1 || maxPositions < 1
        || typeVocabularySize < 1) {
      throw new IllegalArgumentException("a transformer's sizes must be positive (layers at least 0), got " + describe(vocabularySize,
          width, layers, heads, intermediateSize, maxPositions, typeVocabularySize));
    }
    if (width % heads != 0) {
      throw new IllegalArgumentException("a transformer's width (" + width + ") must be a multiple of its heads (" + heads + ")");
    }
    if (!(layerNormEpsilon > 0) || !Double.isFinite(layerNormEpsilon)) {
      throw new IllegalArgumentException("a transformer's layer-norm epsilon must be positive, got " + layerNormEpsilon);
    }
  }

  /** The width of one attention head. */
  public int headSize() {
    return width / heads;
  }

  private static String describe(int v, int w, int l, int h, int i, int p, int t) {
    return "vocabulary " + v + ", width " + w + ", layers " + l + ", heads " + h + ", intermediate " + i + ", positions " + p
        + ", types " + t;
  }
}
