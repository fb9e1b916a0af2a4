package dev.mtl.cli;

import dev.mtl.core.training.RunDirectory;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --overwrite} option of commands that write into a run's output folder (see {@link RunDirectory}). */
final class OutputFolder {
  @Option(names = "--overwrite", description = "write into the config's output folder even if mtl did not make it "
      + "(files mtl writes replace entries of the same name; nothing else is touched)")
  boolean overwrite;

  /** Makes {@code output} a run folder, or fails if it is someone else's and --overwrite was not given. */
  void claim(Path output) throws IOException {
    RunDirectory.claim(output, overwrite);
  }
}
