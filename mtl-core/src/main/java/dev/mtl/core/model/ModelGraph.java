package dev.mtl.core.model;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An engine-neutral description of a multi-task network: layers in order (each reads token ids or
 * an earlier layer), a head per task, and which layer's output is the representation every task
 * shares (for weightings that need gradients there). Sharing strategies build it; engines lower
 * it. The constructor checks that it is well formed, so an engine can trust it.
 */
public record ModelGraph(List<Layer> layers, List<Head> heads, Optional<String> sharedRepresentation) {

  public ModelGraph {
    layers = List.copyOf(layers);
    heads = List.copyOf(heads);
    Map<String, Layer> seen = new HashMap<>();
    for (Layer layer : layers) {
      String input = layer.input().orElse(null);
      if (input != null) {
        Layer source = seen.get(input);
        if (source == null) {
          throw new IllegalArgumentException("layer '" + layer.id() + "' reads '" + input + "', which is not an earlier layer");
        }
        if (source instanceof Layer.Pool) {
          throw new IllegalArgumentException("layer '" + layer.id() + "' needs a sequence but '" + input + "' is pooled");
        }
      }
      if (seen.put(layer.id(), layer) != null) {
        throw new IllegalArgumentException("two layers have the id '" + layer.id() + "'");
      }
    }
    Set<String> tasks = new HashSet<>();
    for (Head head : heads) {
      if (!(seen.get(head.input()) instanceof Layer.Pool)) {
        throw new IllegalArgumentException("head of task '" + head.task() + "' must read a pool layer, not '" + head.input() + "'");
      }
      if (!tasks.add(head.task())) {
        throw new IllegalArgumentException("two heads for task '" + head.task() + "'");
      }
    }
    sharedRepresentation.ifPresent(id -> {
      if (!seen.containsKey(id)) {
        throw new IllegalArgumentException("shared representation '" + id + "' is not a layer");
      }
    });
  }

  public Layer layer(String id) {
    return layers.stream().filter(l -> l.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no layer '" + id + "'"));
  }

  /** The width of each position (sequence layers) or of the vector (pool layers) a layer outputs. */
  public int outputSize(String id) {
    Layer layer = layer(id);
    if (layer instanceof Layer.Embedding e) {
      return e.size();
    }
    if (layer instanceof Layer.Encoder e) {
      return e.kind().outputSize(e.hiddenSize(), outputSize(e.inputId()));
    }
    return outputSize(((Layer.Pool) layer).inputId());
  }
}
