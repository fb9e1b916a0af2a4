package dev.mtl.core.inject;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import dev.mtl.core.registry.PluginKind;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.spi.Plugin;

/**
 * Guice bindings for an mtl application: the {@link PluginRegistry} and, per plugin interface, a
 * {@code Map<String, Provider>} of every plugin by name. The registry scans once; modules never do.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(new MtlModule(PluginRegistry.load()));
 * MultiTaskTrainer trainer = injector.getInstance(MultiTaskTrainer.class);
 * }</pre>
 */
public final class MtlModule extends AbstractModule {
  private final PluginRegistry registry;

  public MtlModule(PluginRegistry registry) {
    this.registry = registry;
  }

  @Override
  protected void configure() {
    bind(PluginRegistry.class).toInstance(registry);
    for (PluginKind kind : PluginKind.values()) {
      bindAll(kind.spi());
    }
  }

  private <T extends Plugin> void bindAll(Class<T> spi) {
    MapBinder<String, T> binder = MapBinder.newMapBinder(binder(), String.class, spi);
    registry.all(spi).forEach((name, plugin) -> binder.addBinding(name).toInstance(plugin));
  }
}
