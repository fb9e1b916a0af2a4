package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.text.SentenceEncoder;

/**
 * Pretrained sentence encoders ({@code model.pretrained-encoder} in a run config). Register with
 * {@code @AutoService}.
 */
public interface SentenceEncoderProvider extends Plugin {
  /**
   * Reads and checks the settings, recording problems on the section, and opens the model. Returns
   * null when the settings have problems.
   */
  SentenceEncoder create(ConfigSection settings);
}
