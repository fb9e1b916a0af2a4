package dev.mtl.core.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Turns a text into token ids for the model's embedding; fitted on training texts, saved with the model. */
public interface TextEncoder {
  /** Token ids of a text, at most {@link #maxLength()} of them; may be empty for an empty text. */
  int[] encode(String text);

  /** Number of distinct ids, including padding and unknown. */
  int vocabularySize();

  /** The id used to pad sequences; its embedding is zero and it is masked everywhere. */
  int paddingId();

  /** The longest sequence {@link #encode} returns. */
  int maxLength();

  /**
   * The token of each id (index = id), for initialising embeddings from word vectors; empty for
   * encoders without a word vocabulary.
   */
  default List<String> tokens() {
    return List.of();
  }

  /**
   * Whether the tokenizer turns {@code word} into exactly that one token, so that a vocabulary
   * entry for it can ever be used (a lower-casing tokenizer never yields {@code The}); false for
   * encoders without a word vocabulary.
   */
  default boolean yieldsToken(String word) {
    return false;
  }

  /**
   * A copy whose vocabulary also holds {@code words}, appended after the existing ids in the order
   * given (words it has already are skipped); for extending a vocabulary from word vectors.
   *
   * @throws UnsupportedOperationException for encoders without a word vocabulary
   */
  default TextEncoder withTokens(List<String> words) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no word vocabulary to extend");
  }

  /** Writes what its provider's {@code load} needs into {@code directory}. */
  void save(Path directory) throws IOException;
}
