package dev.mtl.tasks.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words and punctuation marks: a word is a letter followed by letters, marks,
 * digits and inner apostrophes ({@code don't}, {@code n't}); a number keeps its inner separators
 * ({@code 3.5}); every other visible character is a token of its own. Unicode whitespace (U+0085
 * included) separates tokens; control characters are dropped.
 */
public final class WordTokenizer {
  private static final Pattern TOKEN = Pattern.compile(
      "\\p{L}[\\p{L}\\p{M}\\p{Nd}']*|\\p{Nd}+(?:[.,:]\\p{Nd}+)*|[^\\s\\p{L}\\p{Nd}\\p{C}]", Pattern.UNICODE_CHARACTER_CLASS);

  private final boolean lowercase;

  public WordTokenizer(boolean lowercase) {
    this.lowercase = lowercase;
  }

  public List<String> tokenize(String text) {
    String input = lowercase ? text.toLowerCase(Locale.ROOT) : text;
    List<String> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(input);
    while (m.find()) {
      tokens.add(m.group());
    }
    return tokens;
  }
}
