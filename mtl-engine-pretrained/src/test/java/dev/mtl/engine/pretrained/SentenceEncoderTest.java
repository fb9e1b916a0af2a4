package dev.mtl.engine.pretrained;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.InvalidConfigException;
import dev.mtl.core.text.SentenceEncoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The built-in all-MiniLM-L6-v2 (quantised ONNX) through DJL's OnnxRuntime engine and HuggingFace tokenizers, offline. */
class SentenceEncoderTest {
  private static SentenceEncoder encoder;

  @BeforeAll
  static void open() {
    ConfigSection settings = ConfigSection.empty("model.pretrained-encoder");
    encoder = new DjlSentenceEncoderProvider().create(settings);
    settings.source().throwIfInvalid();
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  @DisplayName("MiniLM gives 384-wide unit vectors, the same for the same text in any batch and on a second call")
  void deterministic() {
    assertThat(encoder.width()).isEqualTo(384);
    List<String> texts = List.of("The movie was wonderful.", "I hate waiting in line at the bank for hours", "");
    float[][] first = encoder.encode(texts);
    float[][] again = encoder.encode(texts);
    float[][] alone = encoder.encode(List.of(texts.get(1)));
    for (int i = 0; i < texts.size(); i++) {
      assertThat(again[i]).containsExactly(first[i]);
      assertThat(cosine(first[i], first[i])).isCloseTo(1.0, Offset.offset(1e-5));
    }
    // A text's vector must not depend on the texts encoded with it.
    assertThat(alone[0]).containsExactly(first[1]);
    assertThat(encoder.id()).startsWith("all-minilm-l6-v2@").contains("pooling=mean");
  }

  @Test
  @DisplayName("paraphrases are close and unrelated sentences are not")
  void paraphrases() {
    float[][] v = encoder.encode(List.of(
        "A man is playing a guitar.", "Someone is strumming a guitar.",
        "The stock market fell sharply today.", "Share prices dropped steeply this afternoon.",
        "My cat sleeps all day on the sofa."));
    double guitar = cosine(v[0], v[1]);
    double market = cosine(v[2], v[3]);
    assertThat(guitar).isGreaterThan(0.6);
    assertThat(market).isGreaterThan(0.6);
    for (int i = 0; i < 4; i++) {
      assertThat(cosine(v[i], v[4])).isLessThan(Math.min(guitar, market) - 0.3);
    }
    assertThat(cosine(v[0], v[2])).isLessThan(0.2);
  }

  @Test
  @DisplayName("a model of your own needs its tokenizer, and a missing model file is named")
  void ownModelSettings() {
    ConfigSection settings = ConfigSection.of("config.yaml model.pretrained-encoder", Path.of("."),
        Map.of("model", "no/such/encoder.onnx"));
    assertThat(new DjlSentenceEncoderProvider().create(settings)).isNull();
    assertThatThrownBy(() -> settings.source().throwIfInvalid()).isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("encoder.onnx").hasMessageContaining("tokenizer.json");
  }
}
