package dev.mtl.tasks.text;

import java.util.List;

/**
 * A parsed row before labels are mapped: where it was, its text and its raw label strings.
 *
 * @param line 1-based line number of the row's first line
 */
public record RawRow(long line, String text, List<String> labels) {}
