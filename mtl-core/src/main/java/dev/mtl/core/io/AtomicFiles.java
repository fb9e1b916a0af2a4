package dev.mtl.core.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
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
    void write(OutputStream out) throws IOException;
  }

  /** Replaces {@code file} with {@code content} (UTF-8) atomically. */
  public static void writeString(Path file, String content) throws IOException {
    writeFile(file, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
  }

  /** Replaces {@code file} with what {@code writer} writes, atomically: readers see the old file or the whole new one. */
  public static void writeFile(Path file, StreamWriter writer) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = createUnique(parent, "." + file.getFileName() + ".", ".tmp", false);
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp))) {
        writer.write(out);
      }
      sync(temp);
      move(temp, file);
      sync(parent);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * A new file or directory with a name no one else holds. Unlike {@link Files#createTempFile},
   * which makes it readable by its owner only, it gets the permissions the process's umask gives:
   * a model or a report is as readable as any other file the user writes.
   */
  private static Path createUnique(Path parent, String prefix, String suffix, boolean directory) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path candidate = parent.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + suffix);
      try {
        return directory ? Files.createDirectory(candidate) : Files.createFile(candidate);
      } catch (FileAlreadyExistsException e) {
        if (attempt == 100) {
          throw e;
        }
      }
    }
  }

  /**
   * Fills a fresh temporary directory with {@code writer} and then puts it at {@code target},
   * replacing what was there. Readers see the old directory or the complete new one, never a mix;
   * if the writer fails, the old directory stays. A process killed at any point leaves the old or
   * the new directory in place, or one of them beside it, which {@link #recoverDirectory} (called
   * by every reader of models and checkpoints) puts back. The steps, in order:
   *
   * <ol>
   *   <li>write and sync {@code .<name>.tmp-<n>} (incomplete: never recovered);
   *   <li>rename it to {@code .<name>.new-<n>}: complete;
   *   <li>rename the current {@code <name>} to {@code .<name>.old-<n>};
   *   <li>rename {@code .<name>.new-<n>} to {@code <name>};
   *   <li>delete {@code .<name>.old-<n>}.
   * </ol>
   */
  public static void writeDirectory(Path target, DirectoryWriter writer) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path parent = absolute.getParent();
    Files.createDirectories(parent);
    recoverDirectory(absolute);
    deleteLeftovers(absolute);
    String name = absolute.getFileName().toString();
    Path temp = createUnique(parent, "." + name + ".tmp-", "", true);
    String suffix = temp.getFileName().toString().substring(("." + name + ".tmp-").length());
    Path complete = parent.resolve("." + name + ".new-" + suffix);
    Path old = parent.resolve("." + name + ".old-" + suffix);
    try {
      writer.write(temp);
      try (Stream<Path> files = Files.walk(temp)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          sync(p);
        }
      }
      move(temp, complete);
      step("complete");
      if (Files.exists(absolute)) {
        move(absolute, old);
        step("old moved aside");
      }
      move(complete, absolute);
      sync(parent);
      step("new in place");
    } finally {
      deleteRecursively(temp);
      deleteRecursively(complete); // only left when a step above failed
    }
    deleteRecursively(old);
    step("old deleted");
  }

  /** Test hook: called after each step of {@link #writeDirectory} with the step's name. */
  static volatile Consumer<String> stepHook = step -> {};

  private static void step(String name) {
    stepHook.accept(name);
  }

  /**
   * Puts a directory that {@link #writeDirectory} was replacing back in place when a process died
   * between its renames: the complete new copy if there is one, else the old one. Returns where
   * the directory can be read: {@code target}, or, when its folder cannot be written (a read-only
   * model), the complete copy beside it.
   */
  public static Path recoverDirectory(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    if (Files.exists(absolute) || !Files.isDirectory(absolute.getParent())) {
      return absolute;
    }
    Optional<Path> copy = newest(absolute, ".new-");
    if (copy.isEmpty()) {
      copy = newest(absolute, ".old-");
    }
    if (copy.isEmpty()) {
      return absolute;
    }
    try {
      move(copy.get(), absolute);
      sync(absolute.getParent());
      return absolute;
    } catch (IOException e) {
      return copy.get();
    }
  }

  private static Optional<Path> newest(Path target, String kind) throws IOException {
    String prefix = "." + target.getFileName() + kind;
    try (Stream<Path> siblings = Files.list(target.getParent())) {
      return siblings.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p))
          .max(Comparator.comparing(p -> lastModified(p)));
    }
  }

  private static FileTime lastModified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  /** Removes what interrupted writes of {@code target} left beside it (once it is in place). */
  private static void deleteLeftovers(Path target) throws IOException {
    String name = target.getFileName().toString();
    try (Stream<Path> siblings = Files.list(target.getParent())) {
      for (Path p : siblings.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith("." + name + ".tmp-") || n.startsWith("." + name + ".new-") || n.startsWith("." + name + ".old-");
      }).toList()) {
        deleteRecursively(p);
      }
    }
  }

  /** Deletes a directory and what interrupted {@link #writeDirectory} calls left beside it. */
  public static void deleteDirectory(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    deleteRecursively(absolute);
    if (Files.isDirectory(absolute.getParent())) {
      deleteLeftovers(absolute);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Flushes a file, or a directory's entries, to disk. */
  private static void sync(Path path) throws IOException {
    boolean directory = Files.isDirectory(path);
    try (FileChannel channel = FileChannel.open(path, directory ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
      channel.force(true);
    } catch (IOException e) {
      if (!directory) {
        throw e; // some file systems cannot sync a directory; the renames are atomic all the same
      }
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
