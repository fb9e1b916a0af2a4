package dev.mtl.core.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A configured tokenizer that can learn an encoder from texts or restore a saved one. */
public interface TextEncoderFactory {
  /** Learns the encoder (e.g. its vocabulary) from the training texts of every task. */
  TextEncoder fit(List<String> trainingTexts);

  /** Restores an encoder that {@link TextEncoder#save} wrote into {@code directory}. */
  TextEncoder load(Path directory) throws IOException;
}
