package dev.mtl.cli;

import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a run was started ({@code run-source.json} in its output directory): the config file and
 * the {@code --set} overrides, so {@code mtl train --resume RUN_DIR} continues the same run.
 *
 * @param config the config file, absolute
 * @param overrides the {@code --set} arguments, in order
 */
record RunSource(Path config, List<String> overrides) {
  static final String FILE = "run-source.json";

  static void write(Path runDirectory, RunSource source) throws IOException {
    Files.createDirectories(runDirectory);
    AtomicFiles.writeString(runDirectory.resolve(FILE),
        JsonFiles.pretty(Map.of("config", source.config().toString(), "overrides", source.overrides())));
  }

  static RunSource read(Path runDirectory) throws IOException {
    Path file = runDirectory.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: " + runDirectory + " is not the output directory of a run started by mtl train");
    }
    var node = JsonFiles.mapper().readTree(file.toFile());
    List<String> overrides = new ArrayList<>();
    node.path("overrides").forEach(o -> overrides.add(o.asText()));
    return new RunSource(Path.of(node.path("config").asText()), overrides);
  }
}
