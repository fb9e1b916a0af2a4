package dev.mtl.engine.djl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Finds TensorFlow's native libraries for DJL without a download. DJL's own TensorFlow native jars
 * stop at TF 2.10, which DJL 0.36 cannot use, so DJL would fetch 2.16 from its CDN. The TF Java
 * jar {@code org.tensorflow:tensorflow-core-native:1.0.0-rc.1:linux-x86_64} from Maven Central
 * holds the same libraries: they are extracted once to DJL's engine cache and DJL is pointed at
 * them through {@code TENSORFLOW_LIBRARY_PATH}. A user's own {@code TENSORFLOW_LIBRARY_PATH} wins.
 */
public final class TfNatives {
  public static final String VERSION = "1.0.0-rc.1";
  public static final String ARTIFACT = "org.tensorflow:tensorflow-core-native:" + VERSION + ":linux-x86_64";
  private static final String RESOURCE_DIR = "org/tensorflow/internal/c_api/linux-x86_64/";
  private static final List<String> FILES = List.of("libjnitensorflow.so", "libtensorflow_framework.so.2", "libtensorflow_cc.so.2",
      "LICENSE");
  public static final String PATH_KEY = "TENSORFLOW_LIBRARY_PATH";

  private TfNatives() {}

  /** Makes sure DJL will find the libraries; returns the folder that holds them. */
  public static synchronized Path ensure() {
    String given = System.getenv(PATH_KEY) != null ? System.getenv(PATH_KEY) : System.getProperty(PATH_KEY);
    if (given != null) {
      Path dir = Path.of(given);
      if (!Files.isRegularFile(dir.resolve("libjnitensorflow.so"))) {
        throw new IllegalStateException(PATH_KEY + " is " + given + ", which holds no libjnitensorflow.so. Point it at the folder of "
            + "TensorFlow's native libraries, or unset it to use the ones in " + ARTIFACT + ".");
      }
      return dir;
    }
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
        || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
      throw new IllegalStateException("mtl brings TensorFlow's natives for linux-x86_64 only; this is " + System.getProperty("os.name")
          + " " + System.getProperty("os.arch") + ". Set " + PATH_KEY + " to a folder holding libjnitensorflow.so and "
          + "libtensorflow_cc for this platform (TF Java " + VERSION + ").");
    }
    ClassLoader loader = TfNatives.class.getClassLoader();
    if (loader.getResource(RESOURCE_DIR + FILES.get(0)) == null) {
      throw new IllegalStateException("TensorFlow's native libraries are not on the class path: add " + ARTIFACT
          + " (Maven Central; mtl-engine-tensorflow depends on it at runtime) or set " + PATH_KEY + " to a folder that holds them. "
          + "mtl never downloads them.");
    }
    Path dir = DjlRuntime.cacheRoot().resolve("tensorflow").resolve(VERSION + "-cpu-linux-x86_64");
    if (!Files.isRegularFile(dir.resolve(FILES.get(0)))) {
      extract(loader, dir);
    }
    System.setProperty(PATH_KEY, dir.toString());
    return dir;
  }

  /** Extracts into a temporary sibling and renames it, so a crash never leaves a half-written folder in use. */
  private static void extract(ClassLoader loader, Path dir) {
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), "extracting-");
      try {
        for (String file : FILES) {
          try (InputStream in = loader.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
              throw new IllegalStateException(ARTIFACT + " on the class path lacks " + file + "; the jar is damaged, delete it from ~/.m2 and rebuild");
            }
            Files.copy(in, tmp.resolve(file));
          }
        }
        try {
          Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
          // Another process extracted them first; theirs are as good.
          if (!Files.isRegularFile(dir.resolve(FILES.get(0)))) {
            throw e;
          }
        }
      } finally {
        if (Files.exists(tmp)) {
          try (var walk = Files.walk(tmp)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract TensorFlow's native libraries to " + dir + ": " + e.getMessage()
          + ". Set DJL_CACHE_DIR to a writable folder, or " + PATH_KEY + " to a folder that already holds them.", e);
    }
  }
}
