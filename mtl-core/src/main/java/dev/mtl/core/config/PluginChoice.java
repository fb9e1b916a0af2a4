package dev.mtl.core.config;

import java.util.Map;

/**
 * Which plugin a config picks for one role, and the settings it passes to it. In YAML either a
 * bare name ({@code sharing: hard}) or a map with {@code type} ({@code sharing: {type: hard}}).
 */
public record PluginChoice(String type, ConfigSection settings) {

  /** Reads {@code key} of {@code parent}, defaulting to {@code defaultType} when absent. */
  public static PluginChoice read(ConfigSection parent, String key, String defaultType) {
    ConfigSection none = new ConfigSection(parent.source(), parent.propertyPath(key), Map.of());
    if (!parent.has(key)) {
      return new PluginChoice(defaultType, none);
    }
    Object raw = parent.values().get(key);
    if (!(raw instanceof Map)) {
      return new PluginChoice(parent.string(key, defaultType), none);
    }
    ConfigSection section = parent.section(key);
    return new PluginChoice(section.string("type", defaultType), section);
  }
}
