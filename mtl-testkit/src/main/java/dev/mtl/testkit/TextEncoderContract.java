package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.TextEncoderProvider;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.TextEncoderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract of a tokenizer: ids within the vocabulary, bounded length, identical after save and load. */
public abstract class TextEncoderContract extends PluginContract<TextEncoderProvider> {
  protected static final List<String> TEXTS = List.of(
      "The movie was great, really great!", "I didn't like it at all...", "Great acting; weak plot.",
      "Ünïcödé text — with dashes", "");

  /** Settings of a valid tokenizer; empty by default. */
  protected Map<String, Object> settings() {
    return Map.of("min-frequency", 1);
  }

  @Override
  protected final Class<TextEncoderProvider> pluginInterface() {
    return TextEncoderProvider.class;
  }

  private TextEncoderFactory factory() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    TextEncoderFactory factory = plugin().create(section);
    section.reportUnknownKeys();
    assertThat(section.source().problems()).isEmpty();
    return factory;
  }

  @Test
  @DisplayName("encodes every text to ids inside the vocabulary, none longer than the maximum")
  void idsInRange() {
    TextEncoder encoder = factory().fit(TEXTS);
    assertThat(encoder.paddingId()).isBetween(0, encoder.vocabularySize() - 1);
    for (String text : TEXTS) {
      int[] ids = encoder.encode(text);
      assertThat(ids.length).isLessThanOrEqualTo(encoder.maxLength());
      for (int id : ids) {
        assertThat(id).isBetween(0, encoder.vocabularySize() - 1).isNotEqualTo(encoder.paddingId());
      }
    }
    assertThat(encoder.encode(TEXTS.get(0))).isNotEmpty();
  }

  @Test
  @DisplayName("encodes identically after save and load")
  void saveLoadRoundTrip(@TempDir Path dir) throws Exception {
    TextEncoder encoder = factory().fit(TEXTS);
    encoder.save(dir);
    assertThat(Files.list(dir)).isNotEmpty();
    TextEncoder loaded = factory().load(dir);
    assertThat(loaded.vocabularySize()).isEqualTo(encoder.vocabularySize());
    for (String text : TEXTS) {
      assertThat(loaded.encode(text)).containsExactly(encoder.encode(text));
    }
    assertThat(loaded.encode("never seen words zyzzyva")).containsExactly(encoder.encode("never seen words zyzzyva"));
  }
}
