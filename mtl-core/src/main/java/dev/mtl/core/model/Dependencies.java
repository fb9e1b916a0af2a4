package dev.mtl.core.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Which parts of a {@link ModelGraph} each task depends on; see the methods there. */
final class Dependencies {
  private Dependencies() {}

  static Optional<String> sharedRepresentation(ModelGraph graph) {
    if (graph.heads().isEmpty()) {
      return Optional.empty();
    }
    Map<String, List<String>> readers = readers(graph);
    Set<String> sinks = new HashSet<>();
    graph.heads().forEach(h -> sinks.add(h.input()));
    List<Layer> layers = graph.layers();
    for (int i = layers.size() - 1; i >= 0; i--) {
      String candidate = layers.get(i).id();
      if (!reachesAnySink(graph, readers, sinks, candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Whether some head input can be reached from a root layer without passing through {@code removed}. */
  private static boolean reachesAnySink(ModelGraph graph, Map<String, List<String>> readers, Set<String> sinks, String removed) {
    Deque<String> open = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    for (Layer layer : graph.layers()) {
      if (layer.inputs().isEmpty() && !layer.id().equals(removed)) {
        open.add(layer.id());
        seen.add(layer.id());
      }
    }
    while (!open.isEmpty()) {
      String id = open.poll();
      if (sinks.contains(id)) {
        return true;
      }
      for (String next : readers.getOrDefault(id, List.of())) {
        if (!next.equals(removed) && seen.add(next)) {
          open.add(next);
        }
      }
    }
    return false;
  }

  /** For each layer, the layers that read its output (a label feed reads its task's head input too). */
  private static Map<String, List<String>> readers(ModelGraph graph) {
    Map<String, List<String>> readers = new HashMap<>();
    for (Layer layer : graph.layers()) {
      List<String> inputs = new ArrayList<>(layer.inputs());
      if (layer instanceof Layer.LabelFeed feed) {
        inputs.add(graph.head(feed.task()).input());
      }
      inputs.forEach(input -> readers.computeIfAbsent(input, k -> new ArrayList<>()).add(layer.id()));
    }
    return readers;
  }

  /** What {@code task}'s loss depends on, not looking below {@code stopAt} (a layer id, or null). */
  static Set<ParameterOwner> parametersOf(ModelGraph graph, String task, String stopAt) {
    Set<ParameterOwner> owners = new LinkedHashSet<>();
    visitHead(graph, graph.head(task), owners, stopAt, new HashSet<>());
    return owners;
  }

  private static void visitHead(ModelGraph graph, Head head, Set<ParameterOwner> owners, String stopAt, Set<String> visited) {
    if (owners.add(ParameterOwner.head(head.task()))) {
      visitLayer(graph, graph.layer(head.input()), owners, stopAt, visited);
    }
  }

  private static void visitLayer(ModelGraph graph, Layer layer, Set<ParameterOwner> owners, String stopAt, Set<String> visited) {
    if (layer.id().equals(stopAt) || !visited.add(layer.id())) {
      return;
    }
    addWithBases(graph, layer, owners);
    if (layer instanceof Layer.Mix mix) {
      owners.add(ParameterOwner.unit(mix.unit()));
    }
    if (layer instanceof Layer.LabelFeed feed) {
      visitHead(graph, graph.head(feed.task()), owners, stopAt, visited);
    }
    for (String input : layer.inputs()) {
      visitLayer(graph, graph.layer(input), owners, stopAt, visited);
    }
  }

  /** A layer and the layers its parameters build on (its base, an adapted transformer), which it uses wherever it runs. */
  private static void addWithBases(ModelGraph graph, Layer layer, Set<ParameterOwner> owners) {
    owners.add(ParameterOwner.layer(layer.id()));
    layer.base().ifPresent(base -> addWithBases(graph, graph.layer(base), owners));
    if (layer instanceof Layer.AdaptedTransformer adapted) {
      addWithBases(graph, graph.layer(adapted.transformerId()), owners);
    }
  }

  static Set<ParameterOwner> sharedParameters(ModelGraph graph) {
    Map<ParameterOwner, Integer> users = new HashMap<>();
    for (Head head : graph.heads()) {
      parametersOf(graph, head.task(), null).forEach(owner -> users.merge(owner, 1, Integer::sum));
    }
    Set<ParameterOwner> shared = new LinkedHashSet<>();
    List<ParameterOwner> ordered = new ArrayList<>();
    for (Layer layer : graph.layers()) {
      ordered.add(ParameterOwner.layer(layer.id()));
      if (layer instanceof Layer.Mix mix) {
        ordered.add(ParameterOwner.unit(mix.unit()));
      }
    }
    graph.heads().forEach(h -> ordered.add(ParameterOwner.head(h.task())));
    for (ParameterOwner owner : ordered) {
      if (users.getOrDefault(owner, 0) >= 2 && !graph.frozen().contains(owner.id()) && hasParameters(graph, owner)) {
        shared.add(owner);
      }
    }
    return shared;
  }

  /** Pools, label feeds, mixes, concatenations, reversals and mean encoders compute without parameters of their own. */
  private static boolean hasParameters(ModelGraph graph, ParameterOwner owner) {
    if (owner.kind() != ParameterOwner.Kind.LAYER) {
      return true;
    }
    Layer layer = graph.layer(owner.id());
    // A transformer that trains none of its layers has no trained parameters to share.
    return layer instanceof Layer.Embedding || layer instanceof Layer.Transformer t && t.trainLayers() > 0
        || layer instanceof Layer.AdaptedTransformer || layer instanceof Layer.Gate || layer instanceof Layer.TaskAttention
        || (layer instanceof Layer.Encoder e && e.kind() != EncoderKind.MEAN);
  }
}
