package dev.mtl.tasks.text;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.TextEncoderProvider;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.TextEncoderFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code words} tokenizer: {@link WordTokenizer} plus a {@link Vocabulary} from the training
 * texts. Settings: {@code lowercase} (true), {@code min-frequency} (2), {@code max-size} (50000),
 * {@code max-length} (128 tokens; longer texts are cut).
 */
@AutoService(TextEncoderProvider.class)
public final class WordEncoderProvider implements TextEncoderProvider {
  static final String VOCABULARY_FILE = "vocabulary.txt";

  @Override
  public String name() {
    return "words";
  }

  @Override
  public String description() {
    return "lower-cased words and punctuation with a vocabulary from the training texts";
  }

  private record Settings(boolean lowercase, int minFrequency, int maxSize, int maxLength) {
    static Settings read(ConfigSection s) {
      return new Settings(s.bool("lowercase", true), s.integer("min-frequency", 2, 1, Integer.MAX_VALUE),
          s.integer("max-size", 50_000, 3, 10_000_000), s.integer("max-length", 128, 1, 100_000));
    }
  }

  @Override
  public TextEncoderFactory create(ConfigSection settings) {
    Settings s = Settings.read(settings);
    return new TextEncoderFactory() {
      @Override
      public TextEncoder fit(List<String> trainingTexts) {
        WordTokenizer tokenizer = new WordTokenizer(s.lowercase());
        Map<String, Integer> counts = new HashMap<>();
        for (String text : trainingTexts) {
          for (String token : tokenizer.tokenize(text)) {
            counts.merge(token, 1, Integer::sum);
          }
        }
        return new WordEncoder(tokenizer, Vocabulary.fromCounts(counts, s.minFrequency(), s.maxSize()), s.maxLength());
      }

      @Override
      public TextEncoder load(Path directory) throws IOException {
        return new WordEncoder(new WordTokenizer(s.lowercase()), Vocabulary.load(directory.resolve(VOCABULARY_FILE)), s.maxLength());
      }
    };
  }

  /** Tokenizer and vocabulary together. */
  static final class WordEncoder implements TextEncoder {
    private final WordTokenizer tokenizer;
    private final Vocabulary vocabulary;
    private final int maxLength;

    WordEncoder(WordTokenizer tokenizer, Vocabulary vocabulary, int maxLength) {
      this.tokenizer = tokenizer;
      this.vocabulary = vocabulary;
      this.maxLength = maxLength;
    }

    @Override
    public int[] encode(String text) {
      List<String> tokens = tokenizer.tokenize(text);
      int n = Math.min(tokens.size(), maxLength);
      int[] ids = new int[n];
      for (int i = 0; i < n; i++) {
        ids[i] = vocabulary.id(tokens.get(i));
      }
      return ids;
    }

    @Override
    public int vocabularySize() {
      return vocabulary.size();
    }

    @Override
    public int paddingId() {
      return Vocabulary.PADDING_ID;
    }

    @Override
    public int maxLength() {
      return maxLength;
    }

    Vocabulary vocabulary() {
      return vocabulary;
    }

    @Override
    public List<String> tokens() {
      List<String> tokens = new ArrayList<>(vocabulary.size());
      for (int id = 0; id < vocabulary.size(); id++) {
        tokens.add(vocabulary.token(id));
      }
      return tokens;
    }

    @Override
    public boolean yieldsToken(String word) {
      return tokenizer.tokenize(word).equals(List.of(word));
    }

    @Override
    public TextEncoder withTokens(List<String> words) {
      return new WordEncoder(tokenizer, vocabulary.withTokens(words), maxLength);
    }

    @Override
    public void save(Path directory) throws IOException {
      vocabulary.save(directory.resolve(VOCABULARY_FILE));
    }
  }
}
