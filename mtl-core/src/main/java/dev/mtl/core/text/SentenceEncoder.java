package dev.mtl.core.text;

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

  /**
   * Settings that recreate this encoder through its provider when a saved model is loaded, with
   * file paths absolute.
   */
  Map<String, Object> settings();

  @Override
  void close();
}
