package dev.mtl.cli;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl eval <model> <config-or-data>}. */
@Command(name = "eval", description = {
    "Evaluate a trained model.",
    "With a run config: every task of the model that the config lists, on its --split file.",
    "With a data file: the one task named by --task, reading the file in that task's format."})
final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "the model directory (a run's model/ folder)")
  Path model;

  @Parameters(index = "1", paramLabel = "CONFIG_OR_DATA", description = "a run config (.yaml/.yml) or a data file")
  Path input;

  @Option(names = "--split", defaultValue = "test", description = "with a config: dev or test (default: ${DEFAULT-VALUE})")
  String split;

  @Option(names = "--task", description = "with a data file: the task whose labels it holds")
  String task;

  @Override
  public Integer call() throws Exception {
    try (MultiTaskModel m = MultiTaskModel.load(model)) {
      Map<String, TaskData> data = LabelledData.read(spec.commandLine(), m, input, split, task);
      Map<String, TaskMetrics> metrics = m.evaluate(data);
      Tables.printMetrics(spec.commandLine().getOut(), "evaluation", metrics);
    }
    return 0;
  }
}
