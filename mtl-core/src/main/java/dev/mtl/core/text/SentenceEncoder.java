package dev.mtl.core.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A pretrained model that turns whole texts into fixed-width vectors, e.g. all-MiniLM-L6-v2. In a
 * run it is the frozen bottom of the shared stack: each text is encoded once (and cached on disk,
 * see {@link FeatureCache}) and the trained layers start from its vector.
 */
public interface SentenceEncoder extends AutoCloseable {
  /**
   * Names the model and every setting that changes its vectors (file digest, pooling, maximum
   * length); the feature cache is keyed by it, so a different model never reads another's vectors.
   */
  String id();

  /** Length of each vector. */
  int width();

  /** One vector per text, in the order of {@code texts}. */
  float[][] encode(List<String> texts);

  /** Settings that recreate this encoder through its provider, with file paths absolute. */
  Map<String, Object> settings();

  /**
   * Copies the files this encoder runs from (its model, its tokenizer) into a trained model's
   * folder and returns the settings that recreate it from there, with paths relative to that
   * folder: a saved model carries its encoder, and loading never opens files outside the model
   * folder (such paths are refused). The default, for encoders without files, is {@link #settings()}.
   */
  default Map<String, Object> saveTo(Path modelDirectory) throws IOException {
    return settings();
  }

  @Override
  void close();
}
