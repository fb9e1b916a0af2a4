package dev.mtl.cli;

import com.google.inject.AbstractModule;
import com.google.inject.Injector;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.mtl.core.registry.PluginRegistry;
import picocli.CommandLine;

/**
 * How the {@code mtl} command is composed: one {@link PluginRegistry}, scanned the first time a
 * command asks for it (after {@link MtlCli} has put the plugin path on the context class loader),
 * and the commands, created by Guice so their {@code @Inject} fields are filled.
 */
final class CliModule extends AbstractModule {
  @Provides
  @Singleton
  PluginRegistry registry() {
    return PluginRegistry.load();
  }

  /** Creates mtl's command objects through the injector; picocli's own classes through its default factory. */
  record CommandFactory(Injector injector) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
      return type.getName().startsWith("dev.mtl.") ? injector.getInstance(type) : CommandLine.defaultFactory().create(type);
    }
  }
}
