package dev.mtl.cli;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.TaskDefaults;
import dev.mtl.core.config.YamlConfigReader;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.TaskData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The model and labelled data {@code eval} and {@code calibrate} take: every task of the model that
 * a run config lists, from its file for a split; or one data file for the one task named.
 */
final class LabelledData {
  @Parameters(index = "0", paramLabel = "MODEL", description = "the model directory (a run's model/ folder)")
  Path model;

  @Parameters(index = "1", paramLabel = "CONFIG_OR_DATA", description = "a run config (.yaml/.yml) or a data file")
  Path input;

  @Option(names = "--task", paramLabel = "TASK", description = "with a data file: the task whose labels it holds")
  String task;

  /** True when the input is a run config (else a data file of one task). */
  boolean isConfig() {
    String name = input.getFileName().toString();
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /** The data for {@code model}'s tasks; {@code split}: which file of a config's tasks. */
  Map<String, TaskData> read(CommandLine cli, MultiTaskModel model, String split) {
    Map<String, TaskData> data = new LinkedHashMap<>();
    if (isConfig()) {
      DataSplit which = DataSplit.valueOf(split.toUpperCase(Locale.ROOT));
      ConfigSection root = TaskDefaults.apply(YamlConfigReader.read(input));
      for (ConfigSection t : root.sections("tasks")) {
        String taskName = t.string("name", "");
        Optional<Path> file = t.file(which.configName());
        if (model.tasks().contains(taskName) && file.isPresent()) {
          data.put(taskName, model.task(taskName).read(file.get()));
        }
      }
      root.source().throwIfInvalid();
      if (data.isEmpty()) {
        throw new CommandLine.ParameterException(cli, input + " lists no " + split + " file for any of the model's tasks "
            + model.tasks());
      }
    } else {
      if (task == null) {
        throw new CommandLine.ParameterException(cli, "--task is required with a data file; the model's tasks are " + model.tasks());
      }
      data.put(task, model.task(task).read(input));
    }
    return data;
  }
}
