package dev.mtl.core.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A run's output folder. mtl writes (and replaces, and deletes inside) only folders it made: a new
 * or empty folder is marked with {@value #MARKER} before anything is written; an existing folder
 * without the marker (a user's project folder, the folder of the config itself) is refused unless
 * the user says {@code --overwrite}. Folders of runs made before the marker existed are recognised
 * by the files only mtl writes there.
 */
public final class RunDirectory {
  public static final String MARKER = ".mtl-run";
  private static final List<String> LEGACY_MARKS = List.of("run-source.json", "training-log.jsonl");

  private RunDirectory() {}

  /**
   * Makes {@code output} a run folder mtl may write into, or fails saying why not.
   *
   * @param overwrite the user allows writing into an existing folder mtl did not make
   */
  public static void claim(Path output, boolean overwrite) throws IOException {
    if (Files.exists(output) && !Files.isDirectory(output)) {
      throw new TrainingException("the run's output " + output + " is a file, not a folder; set `output` to a folder");
    }
    if (Files.isRegularFile(output.resolve(MARKER))) {
      return;
    }
    if (Files.isDirectory(output) && !overwrite && !LEGACY_MARKS.stream().anyMatch(name -> Files.exists(output.resolve(name)))) {
      List<String> entries;
      try (Stream<Path> list = Files.list(output)) {
        entries = list.map(p -> p.getFileName().toString()).sorted().toList();
      }
      if (!entries.isEmpty()) {
        throw new TrainingException("the run's output folder " + output + " exists and was not made by mtl (it has no "
            + MARKER + " file); it holds " + (entries.size() > 8 ? entries.subList(0, 8) + " and " + (entries.size() - 8) + " more"
            : entries) + ". Set `output` to a new folder, or pass --overwrite to let mtl write its files there (config.yaml,"
            + " model/, checkpoint/, metrics.json, training-log.jsonl and the like replace entries of those names)");
      }
    }
    Files.createDirectories(output);
    Files.writeString(output.resolve(MARKER), "This folder holds an mtl run's output. mtl writes only into folders with this"
        + " file (or, with --overwrite, into one the user names).\n");
  }
}
