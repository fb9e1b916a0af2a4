package dev.mtl.core.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
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
 * {@code \n} (a trailing {@code \r} is dropped), so U+0085 (NEL), U+2028 or a bare {@code \r}
 * inside a row never splits it. Each line is decoded as UTF-8; a line that is not valid UTF-8 is
 * decoded as Windows-1252 (which covers Latin-1 text), so no byte and no row is lost. A file that
 * starts with a UTF-16 or UTF-32 byte-order mark is decoded in that encoding, strictly: one that
 * is not valid there is refused by name.
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
    if (Files.isDirectory(file)) {
      throw new DataException("Data file " + file + " is a folder; name a file in it.");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new DataException("Data file " + file + " does not exist. Check the path in the config "
          + "(relative paths are resolved against the config file's folder).");
    } catch (IOException e) {
      throw new DataException("Cannot read data file " + file + ": " + e.getMessage());
    }
    Charset wide = wideEncoding(bytes);
    if (wide != null) {
      return wideLines(file, bytes, wide);
    }
    List<Line> lines = new ArrayList<>();
    Reader reader = new Reader(new ByteArrayInputStream(bytes));
    try {
      for (Line line = reader.next(); line != null; line = reader.next()) {
        lines.add(line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // reading a byte array does not fail
    }
    return lines;
  }

  /**
   * Lines of a stream, decoded as {@link #read} decodes a file's (UTF-8 with a Windows-1252
   * fallback per line; a UTF-8 byte-order mark at the start is dropped), one at a time, for input
   * that arrives as it is written, such as standard input.
   */
  public static final class Reader {
    private final InputStream in;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private long number;

    public Reader(InputStream in) {
      this.in = in;
    }

    /** The next line, or null at the end of the stream. */
    public Line next() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        if (position == limit && !fill()) {
          return line.size() == 0 ? null : decodeLine(line);
        }
        int start = position;
        while (position < limit && buffer[position] != '\n') {
          position++;
        }
        line.write(buffer, start, position - start);
        if (position < limit) {
          position++; // the '\n'
          return decodeLine(line);
        }
      }
    }

    /** True when a next line is already buffered or its first bytes can be read without blocking. */
    public boolean ready() throws IOException {
      return position < limit || in.available() > 0;
    }

    private boolean fill() throws IOException {
      int read = in.read(buffer);
      position = 0;
      limit = Math.max(read, 0);
      return read > 0;
    }

    private Line decodeLine(ByteArrayOutputStream line) {
      byte[] bytes = line.toByteArray();
      int from = number == 0 && bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB
          && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
      int to = bytes.length > from && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
      return decode(bytes, from, to, ++number, utf8);
    }
  }

  /** UTF-32 or UTF-16 by their byte-order marks (UTF-32 LE's starts like UTF-16 LE's), or null. */
  private static Charset wideEncoding(byte[] b) {
    if (b.length >= 4 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE && b[2] == 0 && b[3] == 0) {
      return Charset.forName("UTF-32LE");
    }
    if (b.length >= 4 && b[0] == 0 && b[1] == 0 && (b[2] & 0xff) == 0xFE && (b[3] & 0xff) == 0xFF) {
      return Charset.forName("UTF-32BE");
    }
    if (b.length >= 2 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xFE) {
      return StandardCharsets.UTF_16LE;
    }
    if (b.length >= 2 && (b[0] & 0xff) == 0xFE && (b[1] & 0xff) == 0xFF) {
      return StandardCharsets.UTF_16BE;
    }
    return null;
  }

  /** A whole file in a wide encoding (its byte-order mark dropped), split at {@code \n}. */
  private static List<Line> wideLines(Path file, byte[] bytes, Charset charset) {
    int mark = charset.name().startsWith("UTF-32") ? 4 : 2;
    String text;
    try {
      text = charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, mark, bytes.length - mark)).toString();
    } catch (CharacterCodingException e) {
      throw new DataException("Data file " + file + " starts with a " + charset.name() + " byte-order mark but is not valid "
          + charset.name() + " (" + e + "). Save it as UTF-8.");
    }
    List<Line> lines = new ArrayList<>();
    long number = 1;
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      int stop = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
      lines.add(new Line(number++, text.substring(start, stop), false));
      start = end + 1;
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
