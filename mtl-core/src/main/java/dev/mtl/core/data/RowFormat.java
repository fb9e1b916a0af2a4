package dev.mtl.core.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.config.ConfigSection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

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
  public Parsed parse(java.nio.file.Path file) {
    List<RawRow> rows = new ArrayList<>();
    List<RowProblem> problems = new ArrayList<>();
    parse(file.toString(), TextLines.read(file), rows::add, problems::add);
    return new Parsed(rows, problems);
  }

  /** Parses all lines, handing every usable row to {@code rows} and every bad one to {@code problems}. */
  void parse(String file, List<TextLines.Line> lines, Consumer<RawRow> rows, Consumer<RowProblem> problems) {
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
      problems.accept(new RowProblem(file, line.number(), "is not valid JSON (" + e.getOriginalMessage() + ")", RowProblem.excerpt(line.text())));
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

  private void parseTable(String file, List<TextLines.Line> lines, char separator, Consumer<RawRow> rows, Consumer<RowProblem> problems) {
    int textIndex = -1;
    int labelIndex = -1;
    if (!header) {
      textIndex = Integer.parseInt(textColumn);
      labelIndex = Integer.parseInt(labelColumn);
    }
    boolean headerPending = header;
    int i = 0;
    while (i < lines.size()) {
      TextLines.Line first = lines.get(i);
      // A quoted CSV cell may span lines: join until the quotes balance.
      StringBuilder record = new StringBuilder(first.text());
      i++;
      while (separator == ',' && unbalancedQuotes(record) && i < lines.size()) {
        record.append('\n').append(lines.get(i).text());
        i++;
      }
      if (record.toString().isBlank()) {
        continue;
      }
      List<String> cells = separator == '\t' ? Arrays.asList(record.toString().split("\t", -1)) : splitCsv(record.toString());
      if (cells == null) {
        problems.accept(new RowProblem(file, first.number(), "has an unclosed quote", RowProblem.excerpt(record.toString())));
        continue;
      }
      if (headerPending) {
        headerPending = false;
        textIndex = cells.indexOf(textColumn);
        labelIndex = cells.indexOf(labelColumn);
        if (textIndex < 0 || labelIndex < 0) {
          throw new DataException(file + ":" + first.number() + ": the header " + cells
              + " lacks column '" + (textIndex < 0 ? textColumn : labelColumn)
              + "'. Set `text-column` and `label-column` to header names, or `header: false` to use numbers.");
        }
        continue;
      }
      int needed = Math.max(textIndex, labelIndex) + 1;
      if (cells.size() < needed) {
        problems.accept(new RowProblem(file, first.number(), "has " + cells.size() + " columns but needs at least " + needed,
            RowProblem.excerpt(record.toString())));
        continue;
      }
      rows.accept(new RawRow(first.number(), cells.get(textIndex), splitLabels(cells.get(labelIndex))));
    }
  }

  private List<String> splitLabels(String cell) {
    String trimmed = cell.trim();
    if (trimmed.isEmpty()) {
      return List.of();
    }
    // Split single-label cells too, so a row with several labels gets a clear message rather than an unknown label.
    List<String> out = new ArrayList<>();
    for (String part : trimmed.split(java.util.regex.Pattern.quote(labelSeparator), -1)) {
      out.add(part.trim());
    }
    return out;
  }

  private static boolean unbalancedQuotes(CharSequence s) {
    int quotes = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '"') {
        quotes++;
      }
    }
    return quotes % 2 == 1;
  }

  /** RFC 4180 cells, or null when a quote is not closed. */
  static List<String> splitCsv(String record) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < record.length(); i++) {
      char c = record.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < record.length() && record.charAt(i + 1) == '"') {
            cell.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cell.append(c);
        }
      } else if (c == '"' && cell.length() == 0) {
        quoted = true;
      } else if (c == ',') {
        cells.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    if (quoted) {
      return null;
    }
    cells.add(cell.toString());
    return cells;
  }
}
