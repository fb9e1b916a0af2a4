package dev.mtl.core.data;

import java.util.List;

/**
 * A parsed row before its labels or values are interpreted: where it was, its text and its raw
 * label cells (a value cell for regression).
 *
 * @param line 1-based line number of the row's first line
 */
public record RawRow(long line, String text, List<String> labels) {}
