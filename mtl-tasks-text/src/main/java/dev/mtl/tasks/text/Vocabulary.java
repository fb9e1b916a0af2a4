package dev.mtl.tasks.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Token to id, learned from training texts: id 0 pads, id 1 stands for unknown tokens, then tokens
 * by descending frequency (ties alphabetically, so the same data gives the same ids).
 */
public final class Vocabulary {
  public static final String PADDING = "<pad>";
  public static final String UNKNOWN = "<unk>";
  public static final int PADDING_ID = 0;
  public static final int UNKNOWN_ID = 1;

  private final List<String> tokens;
  private final Map<String, Integer> ids;

  private Vocabulary(List<String> tokens) {
    this.tokens = List.copyOf(tokens);
    this.ids = new HashMap<>(tokens.size() * 2);
    for (int i = 0; i < tokens.size(); i++) {
      ids.put(tokens.get(i), i);
    }
  }

  /**
   * Builds a vocabulary from token counts.
   *
   * @param minFrequency tokens seen fewer times become unknown
   * @param maxSize at most this many ids in all, padding and unknown included
   */
  public static Vocabulary fromCounts(Map<String, Integer> counts, int minFrequency, int maxSize) {
    List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
    entries.removeIf(e -> e.getValue() < minFrequency);
    entries.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    List<String> tokens = new ArrayList<>(List.of(PADDING, UNKNOWN));
    for (Map.Entry<String, Integer> e : entries) {
      if (tokens.size() >= maxSize) {
        break;
      }
      tokens.add(e.getKey());
    }
    return new Vocabulary(tokens);
  }

  /** This vocabulary with {@code more} appended after its ids, in order; tokens it has already are skipped. */
  public Vocabulary withTokens(List<String> more) {
    List<String> all = new ArrayList<>(tokens);
    Set<String> seen = new HashSet<>(tokens);
    for (String token : more) {
      if (seen.add(token)) {
        all.add(token);
      }
    }
    return new Vocabulary(all);
  }

  public int id(String token) {
    return ids.getOrDefault(token, UNKNOWN_ID);
  }

  public String token(int id) {
    return tokens.get(id);
  }

  public int size() {
    return tokens.size();
  }

  /** One token per line, in id order. */
  public void save(Path file) throws IOException {
    Files.write(file, tokens, StandardCharsets.UTF_8);
  }

  public static Vocabulary load(Path file) throws IOException {
    List<String> tokens = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (tokens.size() < 2 || !tokens.get(PADDING_ID).equals(PADDING) || !tokens.get(UNKNOWN_ID).equals(UNKNOWN)) {
      throw new IOException(file + " is not an mtl vocabulary: it must start with the lines " + PADDING + " and " + UNKNOWN);
    }
    return new Vocabulary(tokens);
  }
}
