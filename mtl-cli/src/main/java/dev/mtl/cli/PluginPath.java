package dev.mtl.cli;

import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Where the CLI finds third-party plugin jars: every {@code *.jar} in the {@code plugins/} folder
 * of the mtl installation (the repository root for {@code bin/mtl}), and every entry of the
 * environment variable {@code MTL_PLUGIN_PATH} (a jar, or a folder of jars; entries separated by
 * {@code :}). A plugin jar needs only its own classes: mtl's modules are already there.
 */
final class PluginPath {
  static final String ENVIRONMENT = "MTL_PLUGIN_PATH";
  static final String HOME_PROPERTY = "mtl.home";

  private PluginPath() {}

  /** The jars to load, in order: the installation's plugins/ folder, then MTL_PLUGIN_PATH. */
  static List<Path> jars(String home, String environment) throws IOException {
    List<Path> jars = new ArrayList<>();
    if (home != null) {
      Path folder = Path.of(home, "plugins");
      if (Files.isDirectory(folder)) {
        jars.addAll(jarsIn(folder));
      }
    }
    if (environment != null && !environment.isBlank()) {
      for (String entry : environment.split(File.pathSeparator)) {
        if (entry.isBlank()) {
          continue;
        }
        Path path = Path.of(entry);
        if (Files.isDirectory(path)) {
          jars.addAll(jarsIn(path));
        } else if (Files.isRegularFile(path) && entry.endsWith(".jar")) {
          jars.add(path);
        } else {
          throw new CommandLine.ParameterException(new CommandLine(new MtlCli()), ENVIRONMENT + " names '" + entry
              + "', which is neither a .jar file nor a folder. List plugin jars or folders of them, separated by '"
              + File.pathSeparator + "'.");
        }
      }
    }
    return jars;
  }

  private static List<Path> jarsIn(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
    }
  }

  /** A class loader over the plugin jars, with mtl's own class loader as parent. */
  static ClassLoader classLoader(List<Path> jars, ClassLoader parent) {
    if (jars.isEmpty()) {
      return parent;
    }
    URL[] urls = jars.stream().map(PluginPath::url).toArray(URL[]::new);
    return new URLClassLoader("mtl-plugins", urls, parent);
  }

  private static URL url(Path jar) {
    try {
      return jar.toAbsolutePath().toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("Cannot use plugin jar " + jar, e);
    }
  }
}
