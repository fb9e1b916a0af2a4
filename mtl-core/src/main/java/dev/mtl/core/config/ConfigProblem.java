package dev.mtl.core.config;

/**
 * One thing wrong with a config: which property, the value it had, why that is wrong, and where.
 *
 * @param property dotted path of the property, e.g. {@code tasks[0].format}
 * @param value the offending value as written, or {@code null} when the property is missing
 * @param reason what was expected, phrased to follow "but it ..."
 * @param location {@code file:line} when known, else the file or an empty string
 */
public record ConfigProblem(String property, Object value, String reason, String location) {
  /** E.g. {@code `tasks[0].format` was 'tvs' but it must be one of [csv, tsv] (run.yaml:12)}. */
  public String message() {
    String where = location.isEmpty() ? "" : " (" + location + ")";
    if (value == null) {
      return "`" + property + "` is missing but it " + reason + where;
    }
    return "`" + property + "` was '" + value + "' but it " + reason + where;
  }

  @Override
  public String toString() {
    return message();
  }
}
