package dev.mtl.core.data;

/**
 * A row of a data file that could not be used.
 *
 * @param file the file
 * @param line 1-based line number
 * @param reason what is wrong with it
 * @param excerpt the row's text, shortened
 */
public record RowProblem(String file, long line, String reason, String excerpt) {
  public String message() {
    return file + ":" + line + ": " + reason + ": \"" + excerpt + "\"";
  }

  /** Shortens a row for a message, keeping its start. */
  public static String excerpt(String row) {
    String oneLine = row.replace("\t", "\\t").replace("\r", "\\r");
    return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
  }
}
