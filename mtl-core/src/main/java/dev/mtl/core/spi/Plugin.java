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
}
