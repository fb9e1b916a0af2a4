package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.mtl.core.registry.PluginKind;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Guice composes the command: commands get the one plugin registry and the trainers they run. */
class CliModuleTest {
  @Test
  @DisplayName("every command gets the same registry, scanned once, holding the built-in plugins")
  void commandsShareOneRegistry() {
    Injector injector = Guice.createInjector(new CliModule());
    TrainCommand train = injector.getInstance(TrainCommand.class);
    CvCommand cv = injector.getInstance(CvCommand.class);
    PluginsCommand plugins = injector.getInstance(PluginsCommand.class);
    assertThat(train.registry.get()).isSameAs(cv.registry.get()).isSameAs(plugins.registry.get());
    assertThat(train.registry.get().names(PluginKind.SHARING)).contains("hard", "soft");
    assertThat(train.trainer).isNotNull();
    assertThat(cv.crossValidation).isNotNull();
  }

  @Test
  @DisplayName("picocli builds the command tree through the injector: subcommands arrive with their dependencies")
  void picocliUsesTheInjector() {
    CommandLine cli = new CommandLine(MtlCli.class, new CliModule.CommandFactory(Guice.createInjector(new CliModule())));
    TrainCommand train = cli.getSubcommands().get("train").getCommand();
    AffinityCommand affinity = cli.getSubcommands().get("affinity").getCommand();
    assertThat(train.baselines).isNotNull();
    assertThat(affinity.affinity).isNotNull();
    assertThat(affinity.registry.get()).isSameAs(train.registry.get());
  }
}
