package dev.mtl.core.text;

import dev.mtl.core.data.DataException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * Pretrained word vectors in the common text formats: GloVe ({@code word v1 ... vd} per line) and
 * word2vec/fastText {@code .vec} (the same after a {@code count dimension} header line), either
 * gzip-compressed ({@code .gz}). Every line is checked (a wrong number of values or a value that is
 * not a number is reported with file:line); only the vectors of the words asked for are kept.
 *
 * @param file where the vectors came from
 * @param dimension values per vector
 * @param lines vectors in the file
 * @param vectors the vectors of the words asked for that the file has
 */
public record WordVectors(Path file, int dimension, int lines, Map<String, float[]> vectors) {

  /**
   * Reads {@code file}, keeping the vectors of the words {@code keep} accepts; it is asked once per
   * line, in file order (the common files list the most frequent words first).
   */
  public static WordVectors read(Path file, Predicate<String> keep) throws IOException {
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)), 1 << 16)) {
      Map<String, float[]> kept = new HashMap<>();
      int dimension = -1;
      int declared = -1;
      int count = 0;
      int lineNumber = 0;
      String line;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        String[] parts = line.strip().split(" ");
        if (lineNumber == 1 && parts.length == 2 && isInteger(parts[0]) && isInteger(parts[1])) {
          // word2vec / fastText header: "<count> <dimension>"
          declared = Integer.parseInt(parts[0]);
          dimension = Integer.parseInt(parts[1]);
          continue;
        }
        if (dimension < 0) {
          dimension = parts.length - 1;
          if (dimension < 1) {
            throw new DataException(file + ":" + lineNumber + ": a vector line needs a word and its values, found '"
                + abbreviate(line) + "'. Give GloVe lines (word v1 ... vd) or a .vec file with a 'count dimension' header");
          }
        }
        if (parts.length - 1 != dimension) {
          throw new DataException(file + ":" + lineNumber + ": word '" + abbreviate(parts[0]) + "' has " + (parts.length - 1)
              + " values where the file's vectors have " + dimension + " (" + (declared >= 0 ? "its header" : "line 1")
              + "). Fix or delete that line (a word containing spaces breaks the format)");
        }
        count++;
        if (keep.test(parts[0])) {
          float[] vector = new float[dimension];
          for (int j = 0; j < dimension; j++) {
            try {
              vector[j] = Float.parseFloat(parts[j + 1]);
            } catch (NumberFormatException e) {
              throw new DataException(file + ":" + lineNumber + ": value " + (j + 1) + " of word '" + abbreviate(parts[0]) + "' is '"
                  + abbreviate(parts[j + 1]) + "', not a number. Fix or delete that line");
            }
            if (!Float.isFinite(vector[j])) {
              throw new DataException(file + ":" + lineNumber + ": value " + (j + 1) + " of word '" + abbreviate(parts[0]) + "' is "
                  + parts[j + 1] + "; vectors must be finite. Fix or delete that line");
            }
          }
          kept.putIfAbsent(parts[0], vector);
        }
      }
      if (dimension < 0) {
        throw new DataException(file + " holds no word vectors; give a GloVe or word2vec/fastText text file");
      }
      if (declared >= 0 && declared != count) {
        throw new DataException(file + ":1: the header announces " + declared + " vectors but the file has " + count
            + " (cut off while copied?). Fix the header or the file");
      }
      return new WordVectors(file, dimension, count, Map.copyOf(kept));
    }
  }

  private static boolean isInteger(String s) {
    return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
