package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.registry.PluginKind;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.spi.Plugin;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What every plugin must do, whatever its kind: a valid name, found by the registry through ServiceLoader. */
public abstract class PluginContract<P extends Plugin> {
  /** The plugin under test. */
  protected abstract P plugin();

  /** The plugin interface it implements, e.g. {@code TaskProvider.class}. */
  protected abstract Class<P> pluginInterface();

  @Test
  @DisplayName("has a lower-case hyphenated name")
  void hasValidName() {
    assertThat(plugin().name()).matches("[a-z0-9]+([-_.][a-z0-9]+)*");
  }

  @Test
  @DisplayName("is registered for ServiceLoader and found by the registry under its name")
  void isRegistered() {
    PluginRegistry registry = PluginRegistry.load();
    assertThat(registry.names(PluginKind.of(pluginInterface()))).contains(plugin().name());
    assertThat(registry.get(pluginInterface(), plugin().name())).isInstanceOf(plugin().getClass());
  }
}
