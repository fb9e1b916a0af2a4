package dev.mtl.core.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tables are read strictly: every row comes back as written, or as a bad row with its line; no row joins another. */
class RowFormatTest {
  @TempDir Path dir;

  /** 400 real SST-2 rows as {@code text,label} CSV, texts quoted where RFC 4180 needs it. */
  private List<String[]> sst2(int count) throws Exception {
    Path file = Path.of(System.getProperty("mtl.shared.data", "../../shared/data")).resolve("sentence-classic/stsa.binary.train");
    List<String[]> rows = new ArrayList<>();
    for (TextLines.Line line : TextLines.read(file).subList(0, count)) {
      String text = line.text();
      rows.add(new String[] {text.substring(2), text.startsWith("1") ? "positive" : "negative"});
    }
    return rows;
  }

  private static String csvCell(String text) {
    return text.contains(",") || text.contains("\"") ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
  }

  private RowFormat.Parsed parse(String format, String content, Map<String, Object> settings) throws Exception {
    Path file = Files.writeString(dir.resolve("data." + format), content, StandardCharsets.UTF_8);
    Map<String, Object> values = new HashMap<>(settings);
    values.put("format", format);
    ConfigSection section = ConfigSection.of("test.yaml", dir, values);
    RowFormat rowFormat = new RowFormat(section);
    section.source().throwIfInvalid();
    return rowFormat.parse(file);
  }

  @Test
  @DisplayName("CSV: a stray quote inside an unquoted text is an ordinary character; the other 399 rows are untouched")
  void strayQuote() throws Exception {
    List<String[]> rows = sst2(400);
    rows.set(200, new String[] {"he is 5\" tall and great", "positive"});
    StringBuilder csv = new StringBuilder();
    rows.forEach(r -> csv.append(r[0].contains(",") ? csvCell(r[0]) : r[0]).append(',').append(r[1]).append('\n'));
    RowFormat.Parsed parsed = parse("csv", csv.toString(), Map.of());
    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.rows()).hasSize(400);
    assertThat(parsed.rows().get(200).text()).isEqualTo("he is 5\" tall and great");
    for (int i = 0; i < 400; i++) {
      assertThat(parsed.rows().get(i).text()).as("row %d", i).isEqualTo(rows.get(i)[0]);
      assertThat(parsed.rows().get(i).labels()).as("row %d", i).containsExactly(rows.get(i)[1]);
      assertThat(parsed.rows().get(i).line()).isEqualTo(i + 1);
    }
  }

  @Test
  @DisplayName("CSV: a quote that is never closed is a bad row at its line, and the rows after it are still read")
  void unclosedQuote() throws Exception {
    List<String[]> rows = sst2(50);
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      csv.append(i == 10 ? "\"" + rows.get(i)[0].replace(",", "") : csvCell(rows.get(i)[0])).append(',').append(rows.get(i)[1]).append('\n');
    }
    RowFormat.Parsed parsed = parse("csv", csv.toString(), Map.of());
    assertThat(parsed.problems()).singleElement().satisfies(p -> {
      assertThat(p.line()).isEqualTo(11);
      assertThat(p.message()).contains("data.csv:11: is not valid CSV", "quote a text that holds commas");
    });
    assertThat(parsed.rows()).hasSize(49);
    assertThat(parsed.rows()).extracting(RawRow::line).doesNotContain(11L);
    assertThat(parsed.rows().get(10).text()).isEqualTo(rows.get(11)[0]);
  }

  @Test
  @DisplayName("CSV: quoted commas, doubled quotes and line breaks stay in the text; the row keeps its first line")
  void quotedCells() throws Exception {
    RowFormat.Parsed parsed = parse("csv", "review,stars\n\"Good, \"\"really\"\" good\",pos\n\"two\nlines\",neg\nplain,pos\n",
        Map.of("header", true, "text-column", "review", "label-column", "stars"));
    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.rows()).extracting(RawRow::text).containsExactly("Good, \"really\" good", "two\nlines", "plain");
    assertThat(parsed.rows()).extracting(RawRow::line).containsExactly(2L, 3L, 5L);
  }

  @Test
  @DisplayName("CSV: a row with more columns than the header is a bad row, not a shifted one")
  void csvColumnCount() throws Exception {
    RowFormat.Parsed parsed = parse("csv", "text,label\nfine,pos\ngreat, really great,pos\n", Map.of("header", true, "text-column", "text",
        "label-column", "label"));
    assertThat(parsed.rows()).extracting(RawRow::text).containsExactly("fine");
    assertThat(parsed.problems()).singleElement().satisfies(p ->
        assertThat(p.message()).startsWith(dir.resolve("data.csv") + ":3: has 3 columns but the file's header has 2 (a comma inside a text? Quote the text)")
            .endsWith("\"great, really great,pos\""));
  }

  @Test
  @DisplayName("TSV: a tab inside the text column 0 is a bad row with its line, never a new label")
  void tabInFirstColumn() throws Exception {
    RowFormat.Parsed parsed = parse("tsv", "a good film\tpositive\t1\nfirst half\tsecond half\tnegative\t2\nbad\tnegative\t3\n", Map.of());
    assertThat(parsed.rows()).extracting(RawRow::text).containsExactly("a good film", "bad");
    assertThat(parsed.rows()).flatExtracting(RawRow::labels).containsExactly("positive", "negative");
    assertThat(parsed.problems()).singleElement().satisfies(p ->
        assertThat(p.message()).startsWith(dir.resolve("data.tsv") + ":2: has 4 columns but the file's first row has 3 (a tab inside a text?"));
  }

  @Test
  @DisplayName("TSV: when the text is the last column, a tab inside it stays in the text")
  void tabInLastColumn() throws Exception {
    RowFormat.Parsed parsed = parse("tsv", "positive\ta good film\nnegative\tfirst half\tsecond half\n",
        Map.of("text-column", "1", "label-column", "0"));
    assertThat(parsed.problems()).isEmpty();
    assertThat(parsed.rows()).extracting(RawRow::text).containsExactly("a good film", "first half\tsecond half");
    assertThat(parsed.rows()).flatExtracting(RawRow::labels).containsExactly("positive", "negative");
  }

  @Test
  @DisplayName("a row of NUL characters is a bad row with its line, not a text")
  void nulRows() throws Exception {
    RowFormat.Parsed parsed = parse("tsv", "good\tpos\n\u0000\u0000\u0000\tneg\nfine\tneg\n", Map.of());
    assertThat(parsed.rows()).extracting(RawRow::text).containsExactly("good", "fine");
    assertThat(parsed.problems()).singleElement().satisfies(p -> assertThat(p.message())
        .startsWith(dir.resolve("data.tsv") + ":2: holds NUL characters (binary data, or UTF-16 without a byte-order mark?"));
  }

  @Test
  @DisplayName("an empty or header-only file says it is empty")
  void emptyFiles() {
    Assertions.assertThatThrownBy(() -> parse("label-text", "", Map.of()))
        .isInstanceOf(DataException.class).hasMessageContaining("data.label-text is empty: it has no rows.");
    Assertions.assertThatThrownBy(() -> parse("tsv", "\n  \n", Map.of()))
        .isInstanceOf(DataException.class).hasMessageContaining("data.tsv is empty: it has no rows.");
    Assertions.assertThatThrownBy(() -> parse("csv", "text,label\n", Map.of("header", true, "text-column", "text",
        "label-column", "label"))).isInstanceOf(DataException.class).hasMessageContaining("data.csv is empty: it has a header row but no rows");
  }
}
