package dev.mtl.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The real data in ../shared/data that this module's tests read small samples of. */
final class SharedData {
  private SharedData() {}

  /** A file of the shared data, by its path inside it (the build passes the folder as mtl.shared.data). */
  static Path path(String relative) {
    return Path.of(System.getProperty("mtl.shared.data")).resolve(relative).normalize();
  }

  /** The first {@code count} lines of a shared data file. */
  static List<String> firstLines(String relative, int count) throws IOException {
    return Files.readAllLines(path(relative), StandardCharsets.UTF_8).subList(0, count);
  }
}
