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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hierarchical sharing (Søgaard and Goldberg 2016; Hashimoto et al. 2017): a stack of {@code
 * layers} shared encoder layers; each task's head reads the pooled output of its {@code depth}
 * (1 = lowest; tasks not listed attach at the top), so low-level tasks supervise low layers. With
 * {@code feed-labels}, a lower task's predicted label distribution is appended to every position
 * of the sequence the next layer reads, as in the Joint Many-Task model.
 *
 * <pre>
 * sharing:
 *   type: hierarchical
 *   layers: 3
 *   depth: {sentiment: 1, ekman: 2, emotion: 3}
 *   feed-labels: [sentiment, ekman]
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class HierarchicalSharing implements SharingStrategyProvider {
  static final int MIN_LAYERS = 2;
  static final int MAX_LAYERS = 4;

  @Override
  public String name() {
    return "hierarchical";
  }

  @Override
  public String description() {
    return "a stacked shared encoder; each task attaches at its own depth";
  }

  static String encoderId(int level) {
    return "shared.layer" + level + ".encoder";
  }

  static String poolId(int level) {
    return "shared.layer" + level + ".pool";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int layerCount = settings.integer("layers", 3, MIN_LAYERS, MAX_LAYERS);
    Map<String, Double> given = Parts.perTask(settings, "depth", taskNames, 1, layerCount);
    Map<String, Integer> depth = new HashMap<>();
    for (String task : taskNames) {
      depth.put(task, given.getOrDefault(task, (double) layerCount).intValue());
    }
    List<String> feed = settings.strings("feed-labels");
    for (String task : feed) {
      if (!taskNames.contains(task)) {
        settings.problem("feed-labels", task, "must name tasks of this run; tasks: " + taskNames);
      } else if (depth.get(task) >= layerCount) {
        settings.problem("feed-labels", task, "must name tasks attached below the top layer (depth 1 to " + (layerCount - 1)
            + "); '" + task + "' is at depth " + depth.get(task) + ", with no layer above it to feed");
      }
    }
    return (model, heads) -> {
      if (model.encoder() == EncoderKind.MEAN) {
        throw new IllegalArgumentException("hierarchical sharing stacks encoder layers, so `model.encoder` must be cnn or bilstm, not mean");
      }
      List<Layer> layers = new ArrayList<>();
      layers.add(Parts.sharedEmbedding(model));
      List<Head> out = new ArrayList<>();
      String input = Parts.EMBEDDING;
      for (int level = 1; level <= layerCount; level++) {
        layers.add(Parts.encoder(encoderId(level), input, model));
        layers.add(Parts.pool(poolId(level), encoderId(level), model));
        input = encoderId(level);
        for (SharingStrategy.HeadRequest head : heads) {
          if (depth.get(head.task()) == level) {
            out.add(Parts.head(head, poolId(level), model));
          }
        }
        for (String task : feed) {
          if (depth.get(task) == level) {
            String id = "shared.layer" + level + ".feed." + task;
            layers.add(new Layer.LabelFeed(id, input, task));
            input = id;
          }
        }
      }
      // Heads in the order the tasks were given.
      List<Head> ordered = heads.stream().map(h -> out.stream().filter(o -> o.task().equals(h.task())).findFirst().orElseThrow()).toList();
      return new ModelGraph(layers, ordered);
    };
  }
}
