package dev.mtl.cli;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code mtl eval <model> <config-or-data>}. */
@Command(name = "eval", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Evaluate a trained model on labelled data.",
    description = {
        "With a run config: every task of the model that the config lists, on its --split file. With a data "
            + "file: the one task named by --task, reading the file in that task's format."})
final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  LabelledData data;

  @Option(names = "--split", paramLabel = "SPLIT", defaultValue = "test", description = "with a config: dev or test (default: ${DEFAULT-VALUE})")
  String split;

  @Option(names = "--json", description = "print one JSON document: {\"schema_version\": 1, \"model\": ..., \"split\": ..., "
      + "\"metrics\": {task: {\"values\", \"primary\", \"examples\", ...}}}")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (MultiTaskModel m = MultiTaskModel.load(data.model)) {
      Map<String, TaskData> labelled = data.read(spec.commandLine(), m, split);
      Map<String, TaskMetrics> metrics = m.evaluate(labelled);
      if (json) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("model", data.model.toString());
        document.put("data", data.input.toString());
        document.put("split", data.isConfig() ? split : null);
        document.put("metrics", metrics);
        spec.commandLine().getOut().print(JsonFiles.pretty(document));
        spec.commandLine().getOut().flush();
      } else {
        Tables.printMetrics(spec.commandLine().getOut(), "evaluation", metrics);
      }
    }
    return 0;
  }
}
