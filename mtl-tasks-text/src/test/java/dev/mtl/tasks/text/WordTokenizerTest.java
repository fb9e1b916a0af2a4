package dev.mtl.tasks.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
  @Test
  @DisplayName("splits words, inner apostrophes, numbers and punctuation; U+0085 separates; lower-cases")
  void tokenizes() {
    assertThat(new WordTokenizer(true).tokenize("It's 3.5 stars\u0085wo n't SEE it... (Really!)"))
        .containsExactly("it's", "3.5", "stars", "wo", "n't", "see", "it", ".", ".", ".", "(", "really", "!", ")");
    assertThat(new WordTokenizer(false).tokenize("Café Über")).containsExactly("Café", "Über");
  }

  @Test
  @DisplayName("the vocabulary orders by frequency then alphabetically, with padding and unknown first")
  void vocabulary() {
    Vocabulary v = Vocabulary.fromCounts(Map.of("b", 3, "a", 3, "c", 5, "rare", 1), 2, 100);
    assertThat(List.of(v.token(0), v.token(1), v.token(2), v.token(3), v.token(4))).containsExactly("<pad>", "<unk>", "c", "a", "b");
    assertThat(v.id("rare")).isEqualTo(Vocabulary.UNKNOWN_ID);
    assertThat(Vocabulary.fromCounts(Map.of("b", 3, "a", 3, "c", 5), 1, 3).size()).isEqualTo(3);
  }

  @Test
  @DisplayName("an encoder extended with words keeps its ids, appends the new words in order and skips known ones")
  void extendedEncoder() {
    WordEncoderProvider.WordEncoder encoder = new WordEncoderProvider.WordEncoder(new WordTokenizer(true),
        Vocabulary.fromCounts(Map.of("good", 2, "film", 2), 1, 100), 16);
    assertThat(encoder.yieldsToken("film")).isTrue();
    assertThat(encoder.yieldsToken("Film")).as("lower-cased away").isFalse();
    assertThat(encoder.yieldsToken("e.g.")).as("three tokens").isFalse();
    var extended = encoder.withTokens(List.of("superb", "good", "dull"));
    assertThat(extended.tokens()).containsExactly("<pad>", "<unk>", "film", "good", "superb", "dull");
    assertThat(extended.encode("a superb, dull film")).containsExactly(1, 4, 1, 5, 2);
    assertThat(encoder.encode("a superb film")).as("the original is unchanged").containsExactly(1, 1, 2);
  }
}
