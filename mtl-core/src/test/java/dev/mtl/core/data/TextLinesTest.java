package dev.mtl.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextLinesTest {
  @TempDir Path dir;

  /** A file of the real datasets beside the repository; the build passes their location. */
  private static Path shared(String relative) {
    return Path.of(System.getProperty("mtl.shared.data", "../../shared/data")).resolve(relative);
  }

  private Path bytes(int... values) throws IOException {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return Files.write(dir.resolve("f.txt"), b);
  }

  @Test
  @DisplayName("a Latin-1 line is decoded as Windows-1252 without losing a byte, UTF-8 lines stay UTF-8")
  void latin1Fallback() throws Exception {
    // "caf\xe9\n" (Latin-1) then "caf\xc3\xa9\n" (UTF-8)
    List<TextLines.Line> lines = TextLines.read(bytes('c', 'a', 'f', 0xE9, '\n', 'c', 'a', 'f', 0xC3, 0xA9, '\n'));
    assertThat(lines).extracting(TextLines.Line::text).containsExactly("café", "café");
    assertThat(lines).extracting(TextLines.Line::fallback).containsExactly(true, false);
  }

  @Test
  @DisplayName("U+0085 as a raw byte or in UTF-8, and CRLF, never split or lose a row")
  void nelDoesNotSplit() throws Exception {
    List<TextLines.Line> lines = TextLines.read(bytes('a', 0x85, 'b', '\r', '\n', 'c', 0xC2, 0x85, 'd', '\n', 'e'));
    assertThat(lines).extracting(TextLines.Line::text).containsExactly("a\u2026b", "c\u0085d", "e");
    assertThat(lines).extracting(TextLines.Line::number).containsExactly(1L, 2L, 3L);
  }

  @Test
  @DisplayName("the real rt-polarity and subj files keep every row despite Latin-1 and NEL bytes")
  void realFilesKeepEveryRow() {
    assertThat(TextLines.read(shared("sentence-classic/rt-polarity.all"))).hasSize(10662);
    assertThat(TextLines.read(shared("sentence-classic/subj.all"))).hasSize(10000);
    assertThat(TextLines.read(shared("sentence-classic/TREC.train.all"))).hasSize(5452)
        .anySatisfy(l -> assertThat(l.fallback()).isTrue());
  }

  @Test
  @DisplayName("a missing file names the path and where relative paths resolve")
  void missingFile() {
    assertThatThrownBy(() -> TextLines.read(dir.resolve("nope.tsv"))).isInstanceOf(DataException.class)
        .hasMessageContaining("nope.tsv does not exist").hasMessageContaining("relative paths are resolved against the config file's folder");
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"})
  @DisplayName("a file with a UTF-16 or UTF-32 byte-order mark is decoded in that encoding, line numbers and CRLF as in UTF-8")
  void wideEncodings(String encoding) throws Exception {
    Charset charset = Charset.forName(encoding);
    byte[] body = "\uFEFF1 café, naïve\r\n0 日本語 \uD83D\uDE00\n".getBytes(charset);
    List<TextLines.Line> lines = TextLines.read(Files.write(dir.resolve("wide.txt"), body));
    assertThat(lines).extracting(TextLines.Line::text).containsExactly("1 café, naïve", "0 日本語 \uD83D\uDE00");
    assertThat(lines).extracting(TextLines.Line::number).containsExactly(1L, 2L);
  }

  @Test
  @DisplayName("a file that claims UTF-16 by its byte-order mark but is not is refused, naming the file and the encoding")
  void brokenWideEncoding() throws Exception {
    // UTF-16LE BOM, then an unpaired high surrogate (D800) followed by 'a'.
    Path file = bytes(0xFF, 0xFE, 'h', 0, 0x00, 0xD8, 'a', 0);
    assertThatThrownBy(() -> TextLines.read(file)).isInstanceOf(DataException.class)
        .hasMessageContaining(file + " starts with a UTF-16LE byte-order mark but is not valid UTF-16LE").hasMessageContaining("Save it as UTF-8");
  }

  @Test
  @DisplayName("a folder where a data file should be is named as a folder")
  void folder() {
    assertThatThrownBy(() -> TextLines.read(dir)).isInstanceOf(DataException.class).hasMessageContaining(dir + " is a folder");
  }
}
