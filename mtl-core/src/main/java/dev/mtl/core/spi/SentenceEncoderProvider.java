package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TrainableEncoder;

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

  /**
   * The encoder as weights for mtl's own transformer layer, to fine-tune ({@code mode:
   * fine-tune}); records a problem on the section and returns null when the settings have problems
   * or this provider's models cannot be read that way.
   */
  default TrainableEncoder trainable(ConfigSection settings) {
    settings.problem("mode", "fine-tune", "cannot be fine-tune for the " + name() + " encoder, which gives no transformer"
        + " weights; use mode: frozen");
    return null;
  }
}
