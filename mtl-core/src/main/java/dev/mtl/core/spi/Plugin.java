package dev.mtl.core.spi;

/**
 * Something mtl finds on the class path by name: a task type, a sharing strategy, a loss weighting,
 * a tokenizer or an engine. Names are lower-case words joined by hyphens and unique per kind.
 */
public interface Plugin {
  /** The name a config uses to pick this plugin, e.g. {@code "hard"} or {@code "text-classification"}. */
  String name();

  /** One line for {@code mtl plugins}; by default the empty string. */
  default String description() {
    return "";
  }

  /**
   * The plugin's version, saved in the manifest of every model it helped train. By default the
   * Implementation-Version of its jar, or "unknown" (e.g. when run from class folders); a plugin
   * may say it otherwise.
   */
  default String version() {
    return versionOf(getClass());
  }

  /** The Implementation-Version of the jar that holds {@code type}, or "unknown". */
  static String versionOf(Class<?> type) {
    Package p = type.getPackage();
    String version = p == null ? null : p.getImplementationVersion();
    return version == null ? "unknown" : version;
  }
}
