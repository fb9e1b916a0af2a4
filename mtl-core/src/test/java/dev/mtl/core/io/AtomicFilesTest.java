package dev.mtl.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  @DisplayName("files and directories written atomically get the umask's permissions, as any other file the user writes")
  void respectsUmask() throws Exception {
    // What the umask gives here, whatever it is (the JVM cannot read it directly).
    var plainFile = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain.txt")));
    var plainDirectory = Files.getPosixFilePermissions(Files.createDirectory(dir.resolve("plain")));
    AtomicFiles.writeString(dir.resolve("metrics.json"), "{}");
    AtomicFiles.writeDirectory(dir.resolve("model"), d -> Files.writeString(d.resolve("a.txt"), "one"));
    assertThat(Files.getPosixFilePermissions(dir.resolve("metrics.json"))).isEqualTo(plainFile);
    assertThat(Files.getPosixFilePermissions(dir.resolve("model"))).isEqualTo(plainDirectory);
    assertThat(Files.getPosixFilePermissions(dir.resolve("model/a.txt"))).isEqualTo(plainFile);
  }

  @Test
  @DisplayName("replaces a directory whole and leaves no temporary files")
  void replacesDirectory() throws Exception {
    Path target = dir.resolve("model");
    AtomicFiles.writeDirectory(target, d -> Files.writeString(d.resolve("a.txt"), "one"));
    AtomicFiles.writeDirectory(target, d -> Files.writeString(d.resolve("b.txt"), "two"));
    assertThat(target.resolve("a.txt")).doesNotExist();
    assertThat(target.resolve("b.txt")).hasContent("two");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  @DisplayName("a writer that fails midway leaves the previous directory intact")
  void failureKeepsOld() throws Exception {
    Path target = dir.resolve("model");
    AtomicFiles.writeDirectory(target, d -> Files.writeString(d.resolve("a.txt"), "good"));
    assertThatThrownBy(() -> AtomicFiles.writeDirectory(target, d -> {
      Files.writeString(d.resolve("a.txt"), "half");
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(target.resolve("a.txt")).hasContent("good");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  @DisplayName("writes a file atomically")
  void writesFile() throws Exception {
    Path file = dir.resolve("sub/metrics.json");
    AtomicFiles.writeString(file, "{}");
    AtomicFiles.writeString(file, "{\"a\":1}");
    assertThat(file).hasContent("{\"a\":1}");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @org.junit.jupiter.api.Test
  @org.junit.jupiter.api.DisplayName("a process killed between the two renames of a directory write loses nothing: the previous copy is put back")
  void recoversBetweenRenames(@org.junit.jupiter.api.io.TempDir Path root) throws Exception {
    Path target = root.resolve("checkpoint");
    AtomicFiles.writeDirectory(target, dir -> Files.writeString(dir.resolve("state"), "step 40"));
    // What the kill leaves: the old copy moved aside, the new one still in its temporary folder.
    Files.move(target, root.resolve(".checkpoint.old-123"));
    Files.createDirectories(root.resolve(".checkpoint.tmp-9")).resolve("half");
    AtomicFiles.recoverDirectory(target);
    Assertions.assertThat(Files.readString(target.resolve("state"))).isEqualTo("step 40");
    AtomicFiles.deleteDirectory(target);
    try (Stream<Path> left = Files.list(root)) {
      Assertions.assertThat(left).isEmpty();
    }
  }
}
