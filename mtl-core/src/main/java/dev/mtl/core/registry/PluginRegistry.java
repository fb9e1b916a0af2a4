package dev.mtl.core.registry;

import dev.mtl.core.spi.Plugin;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Every plugin on the class path, by kind and name, found once through {@link ServiceLoader}. The
 * only place that scans: everything else asks the registry (mtl-cli injects one into its commands).
 */
public final class PluginRegistry {
  private final Map<PluginKind, Map<String, Plugin>> plugins = new EnumMap<>(PluginKind.class);

  private PluginRegistry() {
    for (PluginKind kind : PluginKind.values()) {
      plugins.put(kind, new TreeMap<>());
    }
  }

  /** Finds the plugins visible to the context class loader (or this class's loader). */
  public static PluginRegistry load() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return load(loader != null ? loader : PluginRegistry.class.getClassLoader());
  }

  /**
   * Finds the plugins visible to {@code loader}.
   *
   * @throws PluginException if two plugins of one kind share a name (naming both classes) or a
   *     registered class cannot be loaded
   */
  public static PluginRegistry load(ClassLoader loader) {
    PluginRegistry registry = new PluginRegistry();
    for (PluginKind kind : PluginKind.values()) {
      try {
        for (Plugin plugin : ServiceLoader.load(kind.spi(), loader)) {
          registry.add(kind, plugin);
        }
      } catch (ServiceConfigurationError e) {
        throw new PluginException("Cannot load a " + kind.displayName() + " plugin: " + e.getMessage()
            + ". Check that the plugin's jar matches this mtl version.", e);
      }
    }
    return registry;
  }

  /** A registry of exactly these plugins, for tests and for apps that wire plugins by hand. */
  public static PluginRegistry of(Plugin... list) {
    PluginRegistry registry = new PluginRegistry();
    for (Plugin plugin : list) {
      boolean added = false;
      for (PluginKind kind : PluginKind.values()) {
        if (kind.spi().isInstance(plugin)) {
          registry.add(kind, plugin);
          added = true;
        }
      }
      if (!added) {
        throw new PluginException(plugin.getClass().getName() + " implements no plugin interface of dev.mtl.core.spi");
      }
    }
    return registry;
  }

  private void add(PluginKind kind, Plugin plugin) {
    String name = plugin.name();
    if (name == null || !name.matches("[a-z0-9]+([-_.][a-z0-9]+)*")) {
      throw new PluginException("The " + kind.displayName() + " plugin " + plugin.getClass().getName()
          + " has the name '" + name + "', but names must be lower-case words joined by '-', e.g. 'my-task'");
    }
    Plugin existing = plugins.get(kind).putIfAbsent(name, plugin);
    if (existing != null && existing.getClass() != plugin.getClass()) {
      throw new PluginException("Two " + kind.displayName() + " plugins are named '" + name + "': "
          + existing.getClass().getName() + " (" + location(existing) + ") and "
          + plugin.getClass().getName() + " (" + location(plugin) + "). Remove one jar or rename one plugin.");
    }
  }

  /** The plugin of the given interface and name. */
  public <T extends Plugin> T get(Class<T> spi, String name) {
    return find(spi, name).orElseThrow(() -> new PluginException(unknownMessage(PluginKind.of(spi), name)));
  }

  public <T extends Plugin> Optional<T> find(Class<T> spi, String name) {
    return Optional.ofNullable(plugins.get(PluginKind.of(spi)).get(name)).map(spi::cast);
  }

  /** E.g. "Unknown sharing strategy 'hrad'; available: [hard]". */
  public String unknownMessage(PluginKind kind, String name) {
    return "Unknown " + kind.displayName() + " '" + name + "'; available: " + names(kind);
  }

  public List<String> names(PluginKind kind) {
    return List.copyOf(plugins.get(kind).keySet());
  }

  /** All plugins of one interface, by name. */
  public <T extends Plugin> Map<String, T> all(Class<T> spi) {
    Map<String, T> out = new TreeMap<>();
    plugins.get(PluginKind.of(spi)).forEach((name, p) -> out.put(name, spi.cast(p)));
    return Collections.unmodifiableMap(out);
  }

  /** One entry per plugin, by kind then name. */
  public List<PluginInfo> describe() {
    List<PluginInfo> out = new ArrayList<>();
    plugins.forEach((kind, byName) -> byName.forEach((name, plugin) ->
        out.add(new PluginInfo(kind, name, plugin.description(), plugin.version(), plugin.getClass().getName(), location(plugin)))));
    return out;
  }

  private static String location(Plugin plugin) {
    CodeSource source = plugin.getClass().getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return "(unknown)";
    }
    try {
      return Path.of(source.getLocation().toURI()).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return source.getLocation().toString();
    }
  }
}
