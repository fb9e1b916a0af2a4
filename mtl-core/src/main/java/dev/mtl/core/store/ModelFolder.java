package dev.mtl.core.store;

import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.task.Task;
import java.util.List;

/** Layout of a model directory, shared by the trainer that writes it and the loader. */
public final class MultiTaskModels {
  /** Sub-folder with the text encoder's files (e.g. the vocabulary). */
  public static final String TOKENIZER_DIR = "tokenizer";
  /** Sub-folder with the engine's parameter files. */
  public static final String PARAMETERS_DIR = "parameters";

  private MultiTaskModels() {}

  public static List<SharingStrategy.HeadRequest> headRequests(List<Task> tasks) {
    return tasks.stream().map(t -> new SharingStrategy.HeadRequest(t.name(), t.output())).toList();
  }
}
