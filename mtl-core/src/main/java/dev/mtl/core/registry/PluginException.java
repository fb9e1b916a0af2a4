package dev.mtl.core.registry;

/** A plugin that cannot be found, is registered twice, or fails to load. */
public final class PluginException extends RuntimeException {
  public PluginException(String message) {
    super(message);
  }

  public PluginException(String message, Throwable cause) {
    super(message, cause);
  }
}
