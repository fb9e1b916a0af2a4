package dev.mtl.core.assembly;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.PluginChoice;
import dev.mtl.core.registry.PluginKind;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.spi.Plugin;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Finds the plugins a config names, recording an unknown name as a problem on its section (with
 * the names that are available) and each found plugin's version, which a saved model keeps.
 */
final class Plugins {
  private final PluginRegistry registry;
  private final Map<String, String> versions = new TreeMap<>();

  Plugins(PluginRegistry registry) {
    this.registry = registry;
  }

  <P extends Plugin> Optional<P> find(Class<P> spi, String type, ConfigSection settings) {
    Optional<P> plugin = registry.find(spi, type);
    PluginKind kind = PluginKind.of(spi);
    if (plugin.isEmpty() && !type.isEmpty()) {
      settings.problem("type", type, "must name a known " + kind.displayName() + "; available: " + registry.names(kind));
      settings.skipUnknownKeyCheck();
    }
    plugin.ifPresent(p -> versions.put(kind.id() + "/" + type, p.version()));
    return plugin;
  }

  /** What {@code factory} makes of the chosen plugin, or null if there is no such plugin. */
  <P extends Plugin, R> R create(Class<P> spi, PluginChoice choice, Function<P, R> factory) {
    return find(spi, choice.type(), choice.settings()).map(factory).orElse(null);
  }

  /** The version of every plugin found so far, by {@code kind/name}. */
  Map<String, String> versions() {
    return Collections.unmodifiableMap(versions);
  }
}
