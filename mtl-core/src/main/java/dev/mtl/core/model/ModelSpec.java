package dev.mtl.core.model;

import dev.mtl.core.config.ConfigSection;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code model} part of a run config: sizes and kinds that sharing strategies build from.
 *
 * @param embeddingSize width of the token embeddings
 * @param encoder the sequence encoder
 * @param hiddenSize units per encoder direction, or filters per convolution width
 * @param dropout dropout rate on embeddings and on each head's input, in [0, 1)
 * @param pooling how the encoded sequence becomes one vector
 */
public record ModelSpec(int embeddingSize, EncoderKind encoder, int hiddenSize, double dropout, PoolKind pooling) {
  public ModelSpec {
    if (embeddingSize < 1 || hiddenSize < 1 || dropout < 0 || dropout >= 1) {
      throw new IllegalArgumentException("embeddingSize and hiddenSize must be positive and dropout in [0, 1)");
    }
  }

  public static ModelSpec read(ConfigSection model) {
    int embedding = model.integer("embedding-size", 128, 1, 4096);
    String encoderName = model.oneOf("encoder", "cnn", EncoderKind.configNames());
    EncoderKind encoder = EncoderKind.fromConfigName(encoderName);
    int hidden = model.integer("hidden-size", 128, 1, 4096);
    double dropout = model.number("dropout", 0.2, 0, 0.95);
    String pool = model.oneOf("pooling", encoder.defaultPooling().configName(), Set.of("mean", "max"));
    return new ModelSpec(embedding, encoder, hidden, dropout, PoolKind.valueOf(pool.toUpperCase(Locale.ROOT)));
  }
}
