package dev.mtl.cli;

import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.registry.PluginInfo;
import dev.mtl.core.registry.PluginRegistry;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mtl plugins}: one line per plugin found. */
@Command(name = "plugins", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "List every plugin found, with what it is.",
    description = {
        "One line per plugin: kind, name, what it does, and the jar it came from (--json: one JSON document with "
            + "the class and version too)."})
final class PluginsCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "print one JSON document: {\"schema_version\": 1, \"plugins\": [{\"kind\", \"name\", "
      + "\"description\", \"version\", \"class_name\", \"location\"}, ...]}")
  boolean json;

  @Inject
  Provider<PluginRegistry> registry;

  @Override
  public Integer call() throws Exception {
    List<PluginInfo> plugins = registry.get().describe();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(JsonFiles.mapper().writeValueAsString(JsonFiles.document(Map.of("plugins", plugins.stream().map(p -> Map.of(
          "kind", p.kind().id(), "name", p.name(), "description", p.description(), "version", p.version(),
          "class_name", p.className(), "location", p.location())).toList()))));
      out.flush();
      return 0;
    }
    int kindWidth = plugins.stream().mapToInt(p -> p.kind().id().length()).max().orElse(4);
    int nameWidth = plugins.stream().mapToInt(p -> p.name().length()).max().orElse(4);
    String row = "%-" + kindWidth + "s  %-" + nameWidth + "s  %s%n";
    out.printf(Locale.ROOT, row, "kind", "name", "description (jar)");
    for (PluginInfo p : plugins) {
      Path jar = Path.of(p.location()).getFileName();
      out.printf(Locale.ROOT, row, p.kind().id(), p.name(), (p.description().isEmpty() ? "-" : p.description())
          + " (" + (jar == null ? p.location() : jar) + ")");
    }
    out.flush();
    return 0;
  }
}
