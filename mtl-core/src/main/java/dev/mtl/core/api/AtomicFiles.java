package dev.mtl.core.api;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * Writes files and whole directories so that a crash never leaves a half-written one: content
 * goes to a temporary sibling, is flushed to disk, and is then renamed into place.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Something that fills a directory. */
  @FunctionalInterface
  public interface DirectoryWriter {
    void write(Path directory) throws IOException;
  }

  /** Something that writes a file's bytes. */
  @FunctionalInterface
  public interface StreamWriter {
    void write(java.io.OutputStream out) throws IOException;
  }

  /** Replaces {@code file} with {@code content} (UTF-8) atomically. */
  public static void writeString(Path file, String content) throws IOException {
    writeFile(file, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** Replaces {@code file} with what {@code writer} writes, atomically: readers see the old file or the whole new one. */
  public static void writeFile(Path file, StreamWriter writer) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
    try {
      try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp))) {
        writer.write(out);
      }
      sync(temp);
      move(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Fills a fresh temporary directory with {@code writer} and then puts it at {@code target},
   * replacing what was there. Readers see the old directory or the complete new one, never a mix;
   * if the writer fails, the old directory stays.
   */
  public static void writeDirectory(Path target, DirectoryWriter writer) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path parent = absolute.getParent();
    Files.createDirectories(parent);
    Path temp = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".tmp-");
    Path old = parent.resolve("." + absolute.getFileName() + ".old-" + System.nanoTime());
    try {
      writer.write(temp);
      try (Stream<Path> files = Files.walk(temp)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          if (Files.isRegularFile(p)) {
            sync(p);
          }
        }
      }
      if (Files.exists(absolute)) {
        move(absolute, old);
      }
      move(temp, absolute);
    } finally {
      deleteRecursively(temp);
      deleteRecursively(old);
    }
  }

  /**
   * Puts back the previous version of a directory that {@link #writeDirectory} was replacing when
   * the process died between its two renames (the target is missing, its old copy is complete).
   */
  public static void recoverDirectory(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    if (Files.exists(absolute) || !Files.isDirectory(absolute.getParent())) {
      return;
    }
    try (Stream<Path> siblings = Files.list(absolute.getParent())) {
      java.util.Optional<Path> old = siblings.filter(p -> p.getFileName().toString().startsWith("." + absolute.getFileName() + ".old-"))
          .max(java.util.Comparator.comparing(p -> p.getFileName().toString()));
      if (old.isPresent()) {
        move(old.get(), absolute);
      }
    }
  }

  /** Deletes a directory and what interrupted {@link #writeDirectory} calls left beside it. */
  public static void deleteDirectory(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    deleteRecursively(absolute);
    if (!Files.isDirectory(absolute.getParent())) {
      return;
    }
    try (Stream<Path> siblings = Files.list(absolute.getParent())) {
      for (Path p : siblings.filter(p -> p.getFileName().toString().startsWith("." + absolute.getFileName() + ".")).toList()) {
        deleteRecursively(p);
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void sync(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
