package dev.mtl.cli;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.config.YamlConfigReader;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.TaskData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;

/**
 * The labelled data {@code eval} and {@code calibrate} read for a model: every task of the model
 * that a run config lists, from its file for a split; or one data file for the one task named.
 */
final class LabelledData {
  private LabelledData() {}

  static Map<String, TaskData> read(CommandLine cli, MultiTaskModel model, Path input, String split, String task) {
    Map<String, TaskData> data = new LinkedHashMap<>();
    String name = input.getFileName().toString();
    if (name.endsWith(".yaml") || name.endsWith(".yml")) {
      DataSplit which = DataSplit.valueOf(split.toUpperCase(Locale.ROOT));
      ConfigSection root = YamlConfigReader.read(input);
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
