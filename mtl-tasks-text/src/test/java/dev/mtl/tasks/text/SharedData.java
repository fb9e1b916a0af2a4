package dev.mtl.tasks.text;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real datasets beside the repository ({@code ../shared/data}); the build passes their location. */
final class SharedData {
  private SharedData() {}

  static Path path(String relative) {
    String root = System.getProperty("mtl.shared.data", "../../shared/data");
    Path file = Path.of(root).resolve(relative).normalize();
    if (!Files.exists(file)) {
      throw new IllegalStateException("Test data " + file + " is missing: the tests read ../shared/data beside the repository.");
    }
    return file;
  }
}
