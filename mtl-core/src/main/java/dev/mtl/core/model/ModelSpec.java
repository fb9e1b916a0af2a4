package dev.mtl.core.model;

import dev.mtl.core.config.ConfigSection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code model} part of a run config: sizes and kinds that sharing strategies build from.
 *
 * @param embeddingSize width of the token embeddings
 * @param encoder the sequence encoder
 * @param hiddenSize units per encoder direction, or filters per convolution width
 * @param dropout dropout rate on embeddings and on each head's input, in [0, 1)
 * @param pooling how the encoded sequence becomes one vector
 * @param pretrainedWidth width of a frozen pretrained sentence encoder's vectors, which then replace
 *     the token embedding at the bottom of the stack ({@link Layer.Features}); 0 otherwise
 * @param transformer the sizes of a pretrained transformer fine-tuned at the bottom of the stack
 *     ({@link Layer.Transformer}) in place of the token embedding, or null
 * @param trainLayers how many of the transformer's top blocks train (all of them: the embeddings too)
 */
public record ModelSpec(int embeddingSize, EncoderKind encoder, int hiddenSize, double dropout, PoolKind pooling,
    int pretrainedWidth, TransformerShape transformer, int trainLayers) {
  /** The config key of the pretrained sentence encoder inside {@code model}. */
  public static final String PRETRAINED_ENCODER = "pretrained-encoder";

  public ModelSpec {
    if (embeddingSize < 1 || hiddenSize < 1 || dropout < 0 || dropout >= 1 || pretrainedWidth < 0) {
      throw new IllegalArgumentException("embeddingSize and hiddenSize must be positive and dropout in [0, 1)");
    }
    if (transformer != null && (trainLayers < 0 || trainLayers > transformer.layers())) {
      throw new IllegalArgumentException("train-layers must be between 0 and the transformer's " + transformer.layers() + " layers");
    }
  }

  public ModelSpec(int embeddingSize, EncoderKind encoder, int hiddenSize, double dropout, PoolKind pooling, int pretrainedWidth) {
    this(embeddingSize, encoder, hiddenSize, dropout, pooling, pretrainedWidth, null, 0);
  }

  public ModelSpec(int embeddingSize, EncoderKind encoder, int hiddenSize, double dropout, PoolKind pooling) {
    this(embeddingSize, encoder, hiddenSize, dropout, pooling, 0);
  }

  /** This spec with the frozen pretrained sentence encoder's real width, known once the encoder is open. */
  public ModelSpec withPretrainedWidth(int width) {
    return new ModelSpec(embeddingSize, encoder, hiddenSize, dropout, pooling, width, null, 0);
  }

  /** This spec with the fine-tuned transformer's sizes, known once its weights are read. */
  public ModelSpec withTransformer(TransformerShape shape, int layersTrained) {
    return new ModelSpec(embeddingSize, encoder, hiddenSize, dropout, pooling, 0, shape, layersTrained);
  }

  /** True when a pretrained encoder (frozen vectors or a fine-tuned transformer) is the bottom of the stack. */
  public boolean usesPretrainedEncoder() {
    return pretrainedWidth > 0 || transformer != null;
  }

  /** The bottom of the stack as a layer: the fine-tuned transformer, the frozen encoder's vectors, or token embeddings. */
  public Layer bottom(String id) {
    if (transformer != null) {
      return new Layer.Transformer(id, transformer, dropout, trainLayers);
    }
    if (pretrainedWidth > 0) {
      return new Layer.Features(id, pretrainedWidth, dropout);
    }
    return new Layer.Embedding(id, embeddingSize, dropout);
  }

  /** True when {@code model.pretrained-encoder} asks to fine-tune the encoder rather than keep it frozen. */
  public static boolean fineTunesPretrained(ConfigSection model) {
    // Read from the raw values: the section itself belongs to the encoder's plugin, which checks its keys.
    return model.values().get(PRETRAINED_ENCODER) instanceof Map<?, ?> encoder && fineTunes(encoder);
  }

  /** True when a pretrained encoder's settings ask to fine-tune it ({@code mode: fine-tune}). */
  public static boolean fineTunes(Map<?, ?> encoderSettings) {
    return "fine-tune".equals(encoderSettings.get("mode"));
  }

  public static ModelSpec read(ConfigSection model) {
    int embedding = model.integer("embedding-size", 128, 1, 4096);
    // A fine-tuned transformer is the encoder; by default the heads read its pooled states directly.
    String encoderName = model.oneOf("encoder", fineTunesPretrained(model) ? "mean" : "cnn", EncoderKind.configNames());
    EncoderKind encoder = EncoderKind.fromConfigName(encoderName);
    int hidden = model.integer("hidden-size", 128, 1, 4096);
    double dropout = model.number("dropout", 0.2, 0, 0.95);
    String pool = model.oneOf("pooling", encoder.defaultPooling().configName(), Set.of("mean", "max"));
    // The encoder's real width is known once it is open; until then the graph's shape is what counts.
    int pretrained = model.has(PRETRAINED_ENCODER) ? 1 : 0;
    return new ModelSpec(embedding, encoder, hidden, dropout, PoolKind.valueOf(pool.toUpperCase(Locale.ROOT)), pretrained);
  }
}
