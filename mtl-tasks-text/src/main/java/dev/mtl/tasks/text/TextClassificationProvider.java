package dev.mtl.tasks.text;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.task.Task;

/** The {@code text-classification} task type. */
@AutoService(TaskProvider.class)
public final class TextClassificationProvider implements TaskProvider {
  public static final String NAME = "text-classification";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "single- or multi-label text classification from label-text, TSV, CSV or JSONL files";
  }

  @Override
  public Task create(String taskName, ConfigSection settings) {
    return new TextClassificationTask(taskName, settings);
  }
}
