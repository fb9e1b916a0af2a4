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
 * @param pretrainedWidth width of a pretrained sentence encoder's vectors, which then replace the
 *     token embedding at the bottom of the stack ({@link Layer.Features}); 0 for token embeddings
 */
public record ModelSpec(int embeddingSize, EncoderKind encoder, int hiddenSize, double dropout, PoolKind pooling,
    int pretrainedWidth) {
  /** The config key of the pretrained sentence encoder inside {@code model}. */
  public static final String PRETRAINED_ENCODER = "pretrained-encoder";

  public ModelSpec {
    if (embeddingSize < 1 || hiddenSize < 1 || dropout < 0 || dropout >= 1 || pretrainedWidth < 0) {
      throw new IllegalArgumentException("embeddingSize and hiddenSize must be positive and dropout in [0, 1)");
    }
  }

  public ModelSpec(int embeddingSize, EncoderKind encoder, int hiddenSize, double dropout, PoolKind pooling) {
    this(embeddingSize, encoder, hiddenSize, dropout, pooling, 0);
  }

  /** This spec with the pretrained sentence encoder's real width, known once the encoder is open. */
  public ModelSpec withPretrainedWidth(int width) {
    return new ModelSpec(embeddingSize, encoder, hiddenSize, dropout, pooling, width);
  }

  /** True when a pretrained sentence encoder is the bottom of the stack. */
  public boolean usesPretrainedEncoder() {
    return pretrainedWidth > 0;
  }

  public static ModelSpec read(ConfigSection model) {
    int embedding = model.integer("embedding-size", 128, 1, 4096);
    String encoderName = model.oneOf("encoder", "cnn", EncoderKind.configNames());
    EncoderKind encoder = EncoderKind.fromConfigName(encoderName);
    int hidden = model.integer("hidden-size", 128, 1, 4096);
    double dropout = model.number("dropout", 0.2, 0, 0.95);
    String pool = model.oneOf("pooling", encoder.defaultPooling().configName(), Set.of("mean", "max"));
    // The encoder's real width is known once it is open; until then the graph's shape is what counts.
    int pretrained = model.has(PRETRAINED_ENCODER) ? 1 : 0;
    return new ModelSpec(embedding, encoder, hidden, dropout, PoolKind.valueOf(pool.toUpperCase(Locale.ROOT)), pretrained);
  }
}
