package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.text.TextEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns texts into token ids: a tokenizer plus whatever vocabulary it learns. Register with
 * {@code @AutoService}.
 */
public interface TextEncoderProvider extends Plugin {
  /** Learns the encoder (e.g. its vocabulary) from the training texts of every task. */
  TextEncoder fit(ConfigSection settings, List<String> trainingTexts);

  /** Restores an encoder that {@link TextEncoder#save} wrote into {@code directory}. */
  TextEncoder load(ConfigSection settings, Path directory) throws IOException;
}
