package dev.mtl.core.registry;

import dev.mtl.core.spi.EngineProvider;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.spi.Plugin;
import dev.mtl.core.spi.SentenceEncoderProvider;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.spi.TaskSamplerProvider;
import dev.mtl.core.spi.TextEncoderProvider;

/** The kinds of plugin mtl finds, with the SPI each implements and the words used in messages. */
public enum PluginKind {
  TASK("task", "task type", TaskProvider.class),
  SHARING("sharing", "sharing strategy", SharingStrategyProvider.class),
  WEIGHTING("weighting", "loss weighting", LossWeightingProvider.class),
  SAMPLING("sampling", "task sampler", TaskSamplerProvider.class),
  TOKENIZER("tokenizer", "tokenizer", TextEncoderProvider.class),
  ENGINE("engine", "engine", EngineProvider.class),
  PRETRAINED("pretrained", "pretrained sentence encoder", SentenceEncoderProvider.class);

  private final String id;
  private final String displayName;
  private final Class<? extends Plugin> spi;

  PluginKind(String id, String displayName, Class<? extends Plugin> spi) {
    this.id = id;
    this.displayName = displayName;
    this.spi = spi;
  }

  /** Short name, as printed by {@code mtl plugins}. */
  public String id() {
    return id;
  }

  public String displayName() {
    return displayName;
  }

  public Class<? extends Plugin> spi() {
    return spi;
  }

  public static PluginKind of(Class<? extends Plugin> spi) {
    for (PluginKind kind : values()) {
      if (kind.spi.equals(spi)) {
        return kind;
      }
    }
    throw new IllegalArgumentException(spi.getName() + " is not a plugin interface; use one of dev.mtl.core.spi");
  }
}
