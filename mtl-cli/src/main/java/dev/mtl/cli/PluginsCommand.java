package dev.mtl.cli;

import dev.mtl.core.registry.PluginInfo;
import dev.mtl.core.registry.PluginRegistry;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code mtl plugins}: one line per plugin found. */
@Command(name = "plugins", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "List every plugin found, with what it is.",
    description = {
        "One line per plugin: kind, name, what it does, and the jar it came from (--json: one JSON document "
            + "with the class too)."})
final class PluginsCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Inject
  Provider<PluginRegistry> registry;

  @Override
  public Integer call() {
    for (PluginInfo p : registry.get().describe()) {
      spec.commandLine().getOut().println(p.kind().id() + " " + p.name() + " " + p.className() + " " + p.location());
    }
    return 0;
  }
}
