package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.text.TextEncoderFactory;

/**
 * Turns texts into token ids: a tokenizer plus whatever vocabulary it learns. Register with
 * {@code @AutoService}.
 */
public interface TextEncoderProvider extends Plugin {
  /**
   * Reads and checks the settings, recording problems on the section; cheap, learns nothing yet.
   */
  TextEncoderFactory create(ConfigSection settings);
}
