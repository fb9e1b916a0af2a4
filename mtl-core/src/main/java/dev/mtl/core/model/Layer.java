package dev.mtl.core.model;

/**
 * One node of an engine-neutral network description. Engines lower each kind once; a sharing
 * strategy composes them. Every layer has an id unique in its {@link ModelGraph}; layers with
 * different ids never share parameters.
 */
public sealed interface Layer permits Layer.Embedding, Layer.Encoder, Layer.Pool {
  String id();

  /** The layer this one reads; empty for the embedding, which reads token ids. */
  default java.util.Optional<String> input() {
    return java.util.Optional.empty();
  }

  /**
   * Token ids to vectors of {@code size}; the vocabulary size comes from the text encoder.
   * Padding positions are zero. Dropout applies to the vectors in training.
   */
  record Embedding(String id, int size, double dropout) implements Layer {}

  /** A sequence to a sequence, reading the output of layer {@code input}. */
  record Encoder(String id, String inputId, EncoderKind kind, int hiddenSize) implements Layer {
    @Override
    public java.util.Optional<String> input() {
      return java.util.Optional.of(inputId);
    }
  }

  /** A sequence to one vector, reading the output of layer {@code input}. */
  record Pool(String id, String inputId, PoolKind kind) implements Layer {
    @Override
    public java.util.Optional<String> input() {
      return java.util.Optional.of(inputId);
    }
  }
}
