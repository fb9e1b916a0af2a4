package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Multi-task attention network (MTAN, Liu, Johns and Davison, "End-to-End Multi-Task Learning
 * with Attention", CVPR 2019), adapted to text encoders: one shared stack of {@code layers}
 * encoders, and per task one soft attention module at every layer that masks that layer's output
 * feature by feature, {@code â_t^l = sigmoid(W_t^l [h_l ; â_t^{l−1}] + b) ⊙ h_l}, reading the
 * task's attended output from the layer below. Each head reads its task's top attended sequence,
 * pooled. Every task trains the whole shared stack; the attention modules (a linear map per layer
 * and task) are each task's own, so a task selects the shared features it needs at every depth.
 *
 * <pre>
 * sharing: {type: mtan, layers: 2}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class MtanSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "mtan";
  }

  @Override
  public String description() {
    return "a shared encoder stack with a soft attention mask per task at every layer (MTAN, Liu et al. 2019)";
  }

  static String encoderId(int level) {
    return "shared.layer" + level + ".encoder";
  }

  static String attentionId(String task, int level) {
    return "attention." + task + ".layer" + level;
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int layers = settings.integer("layers", 2, 1, 4);
    return (model, heads) -> {
      if (model.encoder() == EncoderKind.MEAN && layers > 1) {
        throw new IllegalArgumentException("mtan stacks encoder layers, so `model.encoder` must be cnn or bilstm, not mean (or set layers: 1)");
      }
      List<Layer> graph = new ArrayList<>();
      graph.add(Parts.sharedEmbedding(model));
      String input = Parts.EMBEDDING;
      for (int level = 1; level <= layers; level++) {
        graph.add(Parts.encoder(encoderId(level), input, model));
        input = encoderId(level);
      }
      List<Head> out = new ArrayList<>();
      for (SharingStrategy.HeadRequest head : heads) {
        Optional<String> below = Optional.empty();
        for (int level = 1; level <= layers; level++) {
          String id = attentionId(head.task(), level);
          graph.add(new Layer.TaskAttention(id, encoderId(level), below));
          below = Optional.of(id);
        }
        String pool = head.task() + ".pool";
        graph.add(Parts.pool(pool, below.orElseThrow(), model));
        out.add(Parts.head(head, pool, model));
      }
      return new ModelGraph(graph, out);
    };
  }
}
