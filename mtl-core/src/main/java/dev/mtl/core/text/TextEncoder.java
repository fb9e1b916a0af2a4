package dev.mtl.core.text;

import java.io.IOException;
import java.nio.file.Path;

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
  default java.util.List<String> tokens() {
    return java.util.List.of();
  }

  /** Writes what {@link dev.mtl.core.spi.TextEncoderProvider#load} needs into {@code directory}. */
  void save(Path directory) throws IOException;
}
