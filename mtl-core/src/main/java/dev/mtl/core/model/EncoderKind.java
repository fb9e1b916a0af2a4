package dev.mtl.core.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The sequence encoders every engine implements. */
public enum EncoderKind {
  /** No parameters: the token embeddings themselves, pooled by their mean (a bag of words). */
  MEAN,
  /** Convolutions of widths 3, 4 and 5 with {@code hiddenSize} filters each and ReLU (Kim 2014). */
  CNN,
  /** A bidirectional LSTM with {@code hiddenSize} units per direction; padding never leaks into it. */
  BILSTM;

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Set<String> configNames() {
    return Arrays.stream(values()).map(EncoderKind::configName).collect(Collectors.toSet());
  }

  public static EncoderKind fromConfigName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** Width of each position's output for the given hidden size and input width. */
  public int outputSize(int hiddenSize, int inputSize) {
    return switch (this) {
      case MEAN -> inputSize;
      case CNN -> 3 * hiddenSize;
      case BILSTM -> 2 * hiddenSize;
    };
  }

  /** The pooling that suits the encoder: mean for a bag of words, max over time otherwise. */
  public PoolKind defaultPooling() {
    return this == MEAN ? PoolKind.MEAN : PoolKind.MAX;
  }
}
