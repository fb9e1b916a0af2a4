package dev.mtl.sharing;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.SharingStrategy.HeadRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Building blocks the strategies share. */
final class Parts {
  static final String EMBEDDING = "shared.embedding";

  private Parts() {}

  /**
   * The shared bottom of the stack: token embeddings, a frozen pretrained encoder's vectors, or a
   * pretrained transformer to fine-tune.
   */
  static Layer sharedEmbedding(ModelSpec model) {
    return model.bottom(EMBEDDING);
  }

  /** Refuses per-task embeddings under a pretrained encoder, which is the one shared bottom of every task. */
  static void requireTokenEmbeddings(ModelSpec model, String option) {
    if (model.usesPretrainedEncoder()) {
      throw new IllegalArgumentException(option + " gives each task its own embedding, but model.pretrained-encoder is the"
          + " shared bottom of every task; drop that option or the pretrained encoder");
    }
  }

  static Layer.Encoder encoder(String id, String input, ModelSpec model) {
    return new Layer.Encoder(id, input, model.encoder(), model.hiddenSize());
  }

  static Layer.Encoder encoder(String id, String input, ModelSpec model, String base) {
    return new Layer.Encoder(id, input, model.encoder(), model.hiddenSize(), Optional.of(base));
  }

  static Layer.Pool pool(String id, String input, ModelSpec model) {
    return new Layer.Pool(id, input, model.pooling());
  }

  static Head head(HeadRequest request, String input, ModelSpec model) {
    return new Head(request.task(), input, request.output(), model.dropout());
  }

  /** A map of task names to whole numbers in [min, max], checked against the run's tasks. */
  static Map<String, Double> perTask(ConfigSection settings, String key, List<String> tasks, int min, int max) {
    Map<String, Double> values = settings.numbers(key);
    values.forEach((task, value) -> {
      if (!tasks.contains(task)) {
        settings.problem(key + "." + task, value, "must name a task of this run; tasks: " + tasks);
      } else if (value != Math.rint(value) || value < min || value > max) {
        Object shown = value == Math.rint(value) ? (Object) value.longValue() : value;
        settings.problem(key + "." + task, shown, "must be a whole number between " + min + " and " + max);
      }
    });
    return values;
  }
}
