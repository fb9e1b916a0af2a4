package dev.mtl.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.YamlConfigReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * How rows of a text data file are laid out, for any task that reads texts with a label or value
 * column; strict about structure, lenient about bytes. One instance per task, built from its settings:
 *
 * <ul>
 *   <li>{@code label-text}: {@code <label> <text>} per line (the sentence-classic files);
 *   <li>{@code tsv} / {@code csv}: columns picked by {@code text-column} and {@code label-column}
 *       (0-based numbers, or names when {@code header: true}); CSV follows RFC 4180 quoting;
 *   <li>{@code jsonl}: one JSON object per line with {@code text-field} and {@code label-field}
 *       (a string, a number or, for multi-label, an array).
 * </ul>
 *
 * In every format a multi-label cell holds labels separated by {@code label-separator}.
 */
public final class RowFormat {
  public static final Set<String> FORMATS = Set.of("label-text", "tsv", "csv", "jsonl");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CsvMapper CSV = CsvMapper.builder().enable(CsvParser.Feature.WRAP_AS_ARRAY).build();

  private final String format;
  private final String textColumn;
  private final String labelColumn;
  private final boolean header;
  private final String labelSeparator;

  /** Reads {@code format} and its column settings from a task's section, recording problems there. */
  public RowFormat(ConfigSection settings) {
    this.format = settings.oneOf("format", "label-text", FORMATS);
    boolean tabular = format.equals("tsv") || format.equals("csv");
    boolean json = format.equals("jsonl");
    this.header = settings.bool("header", false);
    this.textColumn = json ? settings.string("text-field", "text") : settings.string("text-column", "0");
    this.labelColumn = json ? settings.string("label-field", "label") : settings.string("label-column", "1");
    this.labelSeparator = settings.string("label-separator", ",");
    if (tabular && !header) {
      checkIndex(settings, "text-column", textColumn);
      checkIndex(settings, "label-column", labelColumn);
    }
    if (labelSeparator.isEmpty()) {
      settings.problem("label-separator", labelSeparator, "must not be empty");
    }
  }

  private static void checkIndex(ConfigSection settings, String key, String value) {
    if (!value.matches("\\d+")) {
      settings.problem(key, value, "must be a 0-based column number (or set `header: true` to use column names)");
    }
  }

  /** The format settings, resolved, for a task's {@code resolvedSettings()}. */
  public Map<String, Object> resolvedSettings() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("format", format);
    if (format.equals("jsonl")) {
      out.put("text-field", textColumn);
      out.put("label-field", labelColumn);
    } else if (!format.equals("label-text")) {
      out.put("text-column", textColumn);
      out.put("label-column", labelColumn);
      out.put("header", header);
    }
    out.put("label-separator", labelSeparator);
    return out;
  }

  /** Rows parsed from a file, and the rows that could not be parsed. */
  public record Parsed(List<RawRow> rows, List<RowProblem> problems) {}

  /** Reads and parses a file (see {@link TextLines} for how bytes become lines). */
  public Parsed parse(Path file) {
    List<RawRow> rows = new ArrayList<>();
    List<RowProblem> problems = new ArrayList<>();
    List<TextLines.Line> lines = TextLines.read(file);
    parse(file.toString(), lines, rows::add, problems::add);
    if (rows.isEmpty() && problems.isEmpty()) {
      boolean blank = lines.stream().allMatch(l -> l.text().isBlank());
      throw new DataException("Data file " + file + (blank ? " is empty: it has no rows." : " is empty: it has a header row but no rows")
          + " Give the task data there, or leave the split out of the config.");
    }
    return new Parsed(rows, problems);
  }

  /** Parses all lines, handing every usable row to {@code rows} and every bad one to {@code problems}. */
  void parse(String file, List<TextLines.Line> lines, Consumer<RawRow> rows, Consumer<RowProblem> problems) {
    List<TextLines.Line> text = new ArrayList<>(lines.size());
    for (TextLines.Line line : lines) {
      if (line.text().indexOf('\u0000') >= 0) {
        problems.accept(new RowProblem(file, line.number(), "holds NUL characters (binary data, or UTF-16 without a byte-order"
            + " mark? Save the file as UTF-8)", RowProblem.excerpt(line.text().replace("\u0000", "\\0"))));
      } else {
        text.add(line);
      }
    }
    lines = text;
    switch (format) {
      case "label-text" -> lines.forEach(l -> parseLabelText(file, l, rows, problems));
      case "jsonl" -> lines.forEach(l -> parseJson(file, l, rows, problems));
      default -> parseTable(file, lines, format.equals("tsv") ? '\t' : ',', rows, problems);
    }
  }

  private void parseLabelText(String file, TextLines.Line line, Consumer<RawRow> rows, Consumer<RowProblem> problems) {
    String s = line.text();
    if (s.isBlank()) {
      return;
    }
    int space = indexOfWhitespace(s);
    if (space < 0) {
      problems.accept(new RowProblem(file, line.number(), "expected '<label> <text>' but found no text after the label", RowProblem.excerpt(s)));
      return;
    }
    rows.accept(new RawRow(line.number(), s.substring(space + 1), splitLabels(s.substring(0, space))));
  }

  private static int indexOfWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
        return i;
      }
    }
    return -1;
  }

  private void parseJson(String file, TextLines.Line line, Consumer<RawRow> rows, Consumer<RowProblem> problems) {
    if (line.text().isBlank()) {
      return;
    }
    JsonNode node;
    try {
      node = JSON.readTree(line.text());
    } catch (JsonProcessingException e) {
      problems.accept(new RowProblem(file, line.number(), "is not valid JSON (" + YamlConfigReader.parserMessage(e) + ")", RowProblem.excerpt(line.text())));
      return;
    }
    JsonNode text = node.get(textColumn);
    JsonNode label = node.get(labelColumn);
    if (!node.isObject() || text == null || !text.isTextual()) {
      problems.accept(new RowProblem(file, line.number(), "has no string field '" + textColumn + "' (set `text-field`)", RowProblem.excerpt(line.text())));
      return;
    }
    List<String> labels = new ArrayList<>();
    if (label == null || label.isNull()) {
      // No label for this task: the task decides (partial labels mask it; otherwise it is a bad row).
      rows.accept(new RawRow(line.number(), text.asText(), labels));
      return;
    }
    if (label.isArray()) {
      label.forEach(l -> labels.add(l.asText()));
    } else if (label.isValueNode()) {
      labels.addAll(splitLabels(label.asText()));
    } else {
      problems.accept(new RowProblem(file, line.number(), "field '" + labelColumn + "' must be a string, a number or an array", RowProblem.excerpt(line.text())));
      return;
    }
    rows.accept(new RawRow(line.number(), text.asText(), labels));
  }

  /** A record of a table file: its first line, its cells, and its text for messages. */
  private record Record(long line, List<String> cells, String text) {}

  private void parseTable(String file, List<TextLines.Line> lines, char separator, Consumer<RawRow> rows, Consumer<RowProblem> problems) {
    List<Record> records = separator == '\t' ? tsvRecords(lines) : csvRecords(file, lines, problems);
    int textIndex = -1;
    int labelIndex = -1;
    if (!header) {
      textIndex = Integer.parseInt(textColumn);
      labelIndex = Integer.parseInt(labelColumn);
    }
    int columns = -1; // the file's column count: the header's, or else the first row's
    for (Record record : records) {
      List<String> cells = record.cells();
      if (columns < 0) {
        columns = cells.size();
        if (header) {
          textIndex = cells.indexOf(textColumn);
          labelIndex = cells.indexOf(labelColumn);
          if (textIndex < 0 || labelIndex < 0) {
            throw new DataException(file + ":" + record.line() + ": the header " + cells
                + " lacks column '" + (textIndex < 0 ? textColumn : labelColumn)
                + "'. Set `text-column` and `label-column` to header names, or `header: false` to use numbers.");
          }
          continue;
        }
      }
      int needed = Math.max(textIndex, labelIndex) + 1;
      if (cells.size() < needed) {
        problems.accept(new RowProblem(file, record.line(), "has " + cells.size() + " columns but needs at least " + needed,
            RowProblem.excerpt(record.text())));
        continue;
      }
      String text = cells.get(textIndex);
      if (cells.size() != columns) {
        // TSV has no quoting: a tab inside a text that is the last column stays in the text.
        boolean textLast = separator == '\t' && textIndex == columns - 1 && cells.size() > columns;
        if (!textLast) {
          problems.accept(new RowProblem(file, record.line(), "has " + cells.size() + " columns but the file's "
              + (header ? "header has " : "first row has ") + columns + " (a " + (separator == '\t' ? "tab" : "comma")
              + " inside a text? " + (separator == '\t' ? "Replace it, or make the text the last column" : "Quote the text")
              + ")", RowProblem.excerpt(record.text())));
          continue;
        }
        text = String.join("\t", cells.subList(textIndex, cells.size()));
      }
      rows.accept(new RawRow(record.line(), text, splitLabels(cells.get(labelIndex))));
    }
  }

  /** One record per non-blank line, cut at every tab: TSV has no quoting. */
  private static List<Record> tsvRecords(List<TextLines.Line> lines) {
    List<Record> records = new ArrayList<>();
    for (TextLines.Line line : lines) {
      if (!line.text().isBlank()) {
        records.add(new Record(line.number(), Arrays.asList(line.text().split("\t", -1)), line.text()));
      }
    }
    return records;
  }

  /**
   * RFC 4180 records (Jackson's CSV parser): quoted cells may hold commas, doubled quotes and line
   * breaks; a quote inside an unquoted cell is an ordinary character. A record the parser rejects
   * (e.g. a quote never closed) is a bad row at its first line, and parsing goes on at the next line.
   */
  private static List<Record> csvRecords(String file, List<TextLines.Line> lines, Consumer<RowProblem> problems) {
    List<Record> records = new ArrayList<>();
    StringBuilder joined = new StringBuilder();
    int[] offsets = new int[lines.size() + 1]; // where each line starts in joined
    for (int i = 0; i < lines.size(); i++) {
      offsets[i] = joined.length();
      joined.append(lines.get(i).text()).append('\n');
    }
    offsets[lines.size()] = joined.length();
    String all = joined.toString();
    int from = 0; // the line this parse started at
    while (from < lines.size()) {
      int restart = lines.size();
      StringReader reader = new StringReader(all);
      try {
        reader.skip(offsets[from]);
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a StringReader does not fail
      }
      try (MappingIterator<String[]> it = CSV.readerFor(String[].class).with(CsvSchema.emptySchema()).readValues(reader)) {
        while (true) {
          int start = from + it.getParser().currentLocation().getLineNr() - 1; // the line the next record starts on
          try {
            if (!it.hasNextValue()) {
              break;
            }
            String[] cells = it.nextValue();
            int end = from + it.getParser().currentLocation().getLineNr() - 1;
            if (!(cells.length == 0 || cells.length == 1 && cells[0].isBlank())) {
              records.add(new Record(lines.get(start).number(), Arrays.asList(cells), text(lines, start, end)));
            }
          } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            problems.accept(new RowProblem(file, lines.get(start).number(), "is not valid CSV (" + reason
                + "); quote a text that holds commas, quotes or line breaks, doubling the quotes inside", RowProblem.excerpt(lines.get(start).text())));
            restart = start + 1;
            break;
          }
        }
      } catch (IOException e) {
        throw new DataException("Cannot parse " + file + " as CSV: " + e.getMessage());
      }
      from = restart;
    }
    return records;
  }

  private static String text(List<TextLines.Line> lines, int from, int to) {
    StringBuilder out = new StringBuilder();
    for (int i = from; i < Math.min(to, lines.size()); i++) {
      out.append(i > from ? "\n" : "").append(lines.get(i).text());
    }
    return out.toString();
  }

  private List<String> splitLabels(String cell) {
    String trimmed = cell.trim();
    if (trimmed.isEmpty()) {
      return List.of();
    }
    // Split single-label cells too, so a row with several labels gets a clear message rather than an unknown label.
    List<String> out = new ArrayList<>();
    for (String part : trimmed.split(Pattern.quote(labelSeparator), -1)) {
      out.add(part.trim());
    }
    return out;
  }
}
