package dev.mtl.core.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a text file as lines, strict about structure and lenient about bytes. Lines end only at
 * {@code \n} (a trailing {@code \r} is dropped), so U+0085 (NEL) or U+2028 inside a row never
 * splits it. Each line is decoded as UTF-8; a line that is not valid UTF-8 is decoded as
 * Windows-1252 (which covers Latin-1 text), so no byte and no row is lost.
 */
public final class TextLines {
  private TextLines() {}

  /**
   * A decoded line.
   *
   * @param number 1-based line number in the file
   * @param text the line without its line ending
   * @param fallback true when it was not valid UTF-8 and was decoded as Windows-1252
   */
  public record Line(long number, String text, boolean fallback) {}

  public static List<Line> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new DataException("Data file " + file + " does not exist. Check the path in the config "
          + "(relative paths are resolved against the config file's folder).");
    } catch (IOException e) {
      throw new DataException("Cannot read data file " + file + ": " + e.getMessage());
    }
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    List<Line> lines = new ArrayList<>();
    int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
    long number = 1;
    while (start < bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
      lines.add(decode(bytes, start, stop, number, utf8));
      start = end + 1;
      number++;
    }
    return lines;
  }

  private static Line decode(byte[] bytes, int from, int to, long number, CharsetDecoder utf8) {
    try {
      return new Line(number, utf8.decode(ByteBuffer.wrap(bytes, from, to - from)).toString(), false);
    } catch (CharacterCodingException e) {
      return new Line(number, windows1252(bytes, from, to), true);
    }
  }

  /** Windows-1252, with its five undefined bytes kept as the Latin-1 code points they would be. */
  static String windows1252(byte[] bytes, int from, int to) {
    StringBuilder out = new StringBuilder(to - from);
    for (int i = from; i < to; i++) {
      int b = bytes[i] & 0xff;
      out.append(b >= 0x80 && b < 0xA0 ? CP1252_HIGH[b - 0x80] : (char) b);
    }
    return out.toString();
  }

  private static final char[] CP1252_HIGH = {
    '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
    '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
    '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
    '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178'
  };
}
