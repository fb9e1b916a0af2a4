package dev.mtl.cli;

import dev.mtl.core.registry.PluginInfo;
import dev.mtl.core.registry.PluginRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code mtl plugins}: one line per plugin found. */
@Command(name = "plugins", description = "List every plugin found: <kind> <name> <class> <jar>.")
final class PluginsCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    for (PluginInfo p : PluginRegistry.load().describe()) {
      spec.commandLine().getOut().println(p.kind().id() + " " + p.name() + " " + p.className() + " " + p.location());
    }
    return 0;
  }
}
