package dev.mtl.core.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An engine-neutral description of a multi-task network: layers in order (each reads token ids or
 * earlier layers), a head per task, penalties on parameters and layers whose own parameters stay
 * fixed. Sharing strategies build it; engines lower it. The constructor checks that it is well
 * formed, so an engine can trust it.
 *
 * <p>What tasks share follows from the graph itself, so a strategy cannot declare it wrongly:
 * {@link #sharedRepresentation()} (where gradient-based weightings can measure task gradients
 * cheaply) and {@link #sharedParameters()} (where they measure them exactly).
 *
 * @param layers in an order where each layer comes after the layers it reads
 * @param heads one per task; each reads a vector layer
 * @param penalties regularisers added to the training loss
 * @param frozen ids of layers (or cross-stitch units) whose own parameters are not trained
 * @param auxiliaryLosses losses on layer outputs added to the training loss (adversarial shared-private)
 */
public record ModelGraph(List<Layer> layers, List<Head> heads, List<Penalty> penalties, Set<String> frozen,
    List<AuxiliaryLoss> auxiliaryLosses) {

  public ModelGraph(List<Layer> layers, List<Head> heads) {
    this(layers, heads, List.of(), Set.of());
  }

  public ModelGraph(List<Layer> layers, List<Head> heads, List<Penalty> penalties, Set<String> frozen) {
    this(layers, heads, penalties, frozen, List.of());
  }

  public ModelGraph {
    layers = List.copyOf(layers);
    heads = List.copyOf(heads);
    penalties = List.copyOf(penalties);
    frozen = Set.copyOf(frozen);
    auxiliaryLosses = List.copyOf(auxiliaryLosses);
    Map<String, Layer> seen = new LinkedHashMap<>();
    Map<String, Integer> headPosition = new HashMap<>();
    for (Head head : heads) {
      if (headPosition.put(head.task(), -1) != null) {
        throw new IllegalArgumentException("two heads for task '" + head.task() + "'");
      }
    }
    Map<String, Boolean> sequence = new HashMap<>();
    for (Layer layer : layers) {
      for (String input : layer.inputs()) {
        if (!seen.containsKey(input)) {
          throw new IllegalArgumentException("layer '" + layer.id() + "' reads '" + input + "', which is not an earlier layer");
        }
      }
      boolean isSequence = checkKinds(layer, sequence, seen, heads);
      if (layer instanceof Layer.AdaptedTransformer a && !(seen.get(a.transformerId()) instanceof Layer.Transformer)) {
        throw new IllegalArgumentException("layer '" + layer.id() + "' adapts '" + a.transformerId()
            + "', which must be an earlier transformer layer");
      }
      layer.base().ifPresent(base -> {
        Layer b = seen.get(base);
        if (b == null || b.getClass() != layer.getClass()) {
          throw new IllegalArgumentException("layer '" + layer.id() + "' adds to the parameters of '" + base
              + "', which must be an earlier layer of the same kind");
        }
      });
      if (seen.put(layer.id(), layer) != null) {
        throw new IllegalArgumentException("two layers have the id '" + layer.id() + "'");
      }
      sequence.put(layer.id(), isSequence);
    }
    for (Head head : heads) {
      if (!seen.containsKey(head.input()) || sequence.get(head.input())) {
        throw new IllegalArgumentException("head of task '" + head.task() + "' must read a vector layer (pool, gate or mixed vectors), not '" + head.input() + "'");
      }
    }
    for (Penalty penalty : penalties) {
      for (String id : penalty.layerIds()) {
        if (!seen.containsKey(id)) {
          throw new IllegalArgumentException("a penalty names '" + id + "', which is not a layer");
        }
      }
    }
    checkAuxiliaryLosses(auxiliaryLosses, seen, sequence, heads);
    Set<String> units = new HashSet<>();
    layers.stream().filter(l -> l instanceof Layer.Mix).forEach(l -> units.add(((Layer.Mix) l).unit()));
    for (String id : frozen) {
      if (!seen.containsKey(id) && !units.contains(id)) {
        throw new IllegalArgumentException("'" + id + "' is frozen but is neither a layer nor a mixing unit");
      }
    }
    // Widths must agree where layers combine; computing them checks that.
    for (Layer layer : layers) {
      width(layer, seen, heads);
    }
  }

  private static void checkAuxiliaryLosses(List<AuxiliaryLoss> losses, Map<String, Layer> seen, Map<String, Boolean> sequence,
      List<Head> heads) {
    Set<String> ids = new HashSet<>();
    for (AuxiliaryLoss loss : losses) {
      for (String input : loss.inputs()) {
        if (!seen.containsKey(input) || sequence.get(input)) {
          throw new IllegalArgumentException("an auxiliary loss reads '" + input + "', which must be a vector layer");
        }
      }
      if (loss instanceof AuxiliaryLoss.TaskDiscriminator d) {
        if (seen.containsKey(d.id()) || !ids.add(d.id())) {
          throw new IllegalArgumentException("the task discriminator '" + d.id() + "' needs an id no layer or other discriminator has");
        }
        if (heads.size() < 2) {
          throw new IllegalArgumentException("the task discriminator '" + d.id() + "' needs at least two tasks to tell apart");
        }
      } else if (loss instanceof AuxiliaryLoss.Orthogonality o) {
        for (AuxiliaryLoss.Pair pair : o.pairs()) {
          if (heads.stream().noneMatch(h -> h.task().equals(pair.task()))) {
            throw new IllegalArgumentException("an orthogonality pair names task '" + pair.task() + "', which has no head");
          }
        }
      }
    }
  }

  /** The same graph with {@code frozen} as the layers whose own parameters are not trained. */
  public ModelGraph withFrozen(Set<String> frozen) {
    return new ModelGraph(layers, heads, penalties, frozen, auxiliaryLosses);
  }

  private static boolean checkKinds(Layer layer, Map<String, Boolean> sequence, Map<String, Layer> seen, List<Head> heads) {
    if (layer instanceof Layer.Embedding || layer instanceof Layer.Features || layer instanceof Layer.Transformer
        || layer instanceof Layer.AdaptedTransformer) {
      return true;
    }
    if (layer instanceof Layer.Encoder || layer instanceof Layer.Pool || layer instanceof Layer.LabelFeed) {
      String input = layer.inputs().get(0);
      if (!sequence.get(input)) {
        throw new IllegalArgumentException("layer '" + layer.id() + "' needs a sequence but '" + input + "' is a vector");
      }
      if (layer instanceof Layer.LabelFeed feed) {
        Head head = heads.stream().filter(h -> h.task().equals(feed.task())).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("layer '" + layer.id() + "' feeds task '" + feed.task() + "', which has no head"));
        if (!seen.containsKey(head.input())) {
          throw new IllegalArgumentException("layer '" + layer.id() + "' feeds task '" + feed.task()
              + "', whose head reads '" + head.input() + "', which is not an earlier layer");
        }
      }
      return !(layer instanceof Layer.Pool);
    }
    if (layer instanceof Layer.GradientReversal reversal) {
      return sequence.get(reversal.inputId());
    }
    if (layer instanceof Layer.TaskAttention) {
      for (String input : layer.inputs()) {
        if (!sequence.get(input)) {
          throw new IllegalArgumentException("task attention '" + layer.id() + "' needs sequences but '" + input + "' is a vector");
        }
      }
      return true;
    }
    if (layer instanceof Layer.Gate gate) {
      if (sequence.get(gate.gateInputId())) {
        throw new IllegalArgumentException("gate '" + layer.id() + "' needs a vector gate input but '" + gate.gateInputId()
            + "' is a sequence");
      }
      boolean first = sequence.get(gate.expertIds().get(0));
      for (String expert : gate.expertIds()) {
        if (sequence.get(expert) != first) {
          throw new IllegalArgumentException("gate '" + layer.id() + "' mixes sequence and vector experts");
        }
      }
      return first;
    }
    if (layer instanceof Layer.Concat) {
      for (String input : layer.inputs()) {
        if (sequence.get(input)) {
          throw new IllegalArgumentException("layer '" + layer.id() + "' needs vectors but '" + input + "' is a sequence");
        }
      }
      return false;
    }
    Layer.Mix mix = (Layer.Mix) layer;
    if (mix.row() < 0 || mix.row() >= mix.inputIds().size()) {
      throw new IllegalArgumentException("mix '" + mix.id() + "' uses row " + mix.row() + " of a " + mix.inputIds().size() + "-input unit");
    }
    boolean first = sequence.get(mix.inputIds().get(0));
    for (String input : mix.inputIds()) {
      if (sequence.get(input) != first) {
        throw new IllegalArgumentException("mix '" + mix.id() + "' combines sequences with vectors");
      }
    }
    return first;
  }

  /**
   * The last layer that every path to every head passes through: each task's loss depends on the
   * shared parameters below it only through its output. Empty when tasks have separate inputs
   * (soft sharing, private embeddings). Gradients of task losses with respect to this output are
   * the cheap, representation-level view of gradient conflict.
   */
  public Optional<String> sharedRepresentation() {
    return Dependencies.sharedRepresentation(this);
  }

  /** Everything whose parameters {@code task}'s loss depends on, frozen or not. */
  public Set<ParameterOwner> parametersOf(String task) {
    return Dependencies.parametersOf(this, task, null);
  }

  /**
   * What {@code task}'s loss depends on other than through the output of layer {@code layerId}:
   * the parameters a backward pass from the loss reaches when it stops at that layer.
   */
  public Set<ParameterOwner> parametersAbove(String task, String layerId) {
    layer(layerId);
    return Dependencies.parametersOf(this, task, layerId);
  }

  /**
   * Trainable parameters that two or more tasks' losses depend on, in layer order: the exact,
   * parameter-level view of gradient conflict. Empty when tasks share nothing that trains.
   */
  public Set<ParameterOwner> sharedParameters() {
    return Dependencies.sharedParameters(this);
  }

  public Layer layer(String id) {
    return layers.stream().filter(l -> l.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no layer '" + id + "'"));
  }

  public Head head(String task) {
    return heads.stream().filter(h -> h.task().equals(task)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no head for task '" + task + "'"));
  }

  /** True for layers that output a sequence, false for vectors. */
  public boolean isSequence(String id) {
    Layer layer = layer(id);
    if (layer instanceof Layer.Pool || layer instanceof Layer.Concat) {
      return false;
    }
    if (layer instanceof Layer.Gate gate) {
      return isSequence(gate.expertIds().get(0));
    }
    if (layer instanceof Layer.Mix mix) {
      return isSequence(mix.inputIds().get(0));
    }
    if (layer instanceof Layer.GradientReversal reversal) {
      return isSequence(reversal.inputId());
    }
    return true;
  }

  /** The width of each position (sequence layers) or of the vector a layer outputs. */
  public int outputSize(String id) {
    Map<String, Layer> byId = new HashMap<>();
    layers.forEach(l -> byId.put(l.id(), l));
    return width(layer(id), byId, heads);
  }

  private static int width(Layer layer, Map<String, Layer> byId, List<Head> heads) {
    if (layer instanceof Layer.Embedding e) {
      return e.size();
    }
    if (layer instanceof Layer.Features f) {
      return f.size();
    }
    if (layer instanceof Layer.Transformer t) {
      return t.shape().width();
    }
    if (layer instanceof Layer.AdaptedTransformer a) {
      return width(byId.get(a.transformerId()), byId, heads);
    }
    if (layer instanceof Layer.Encoder e) {
      return e.kind().outputSize(e.hiddenSize(), width(byId.get(e.inputId()), byId, heads));
    }
    if (layer instanceof Layer.Pool p) {
      return width(byId.get(p.inputId()), byId, heads);
    }
    if (layer instanceof Layer.GradientReversal r) {
      return width(byId.get(r.inputId()), byId, heads);
    }
    if (layer instanceof Layer.TaskAttention a) {
      return width(byId.get(a.inputId()), byId, heads);
    }
    if (layer instanceof Layer.Concat c) {
      return c.inputIds().stream().mapToInt(id -> width(byId.get(id), byId, heads)).sum();
    }
    if (layer instanceof Layer.LabelFeed f) {
      Head head = heads.stream().filter(h -> h.task().equals(f.task())).findFirst().orElseThrow();
      return width(byId.get(f.inputId()), byId, heads) + head.output().size();
    }
    List<String> inputs = layer instanceof Layer.Gate g ? g.expertIds() : layer.inputs();
    List<Integer> widths = new ArrayList<>();
    for (String input : inputs) {
      widths.add(width(byId.get(input), byId, heads));
    }
    if (widths.stream().distinct().count() != 1) {
      throw new IllegalArgumentException("layer '" + layer.id() + "' combines inputs of different widths " + widths);
    }
    return widths.get(0);
  }
}
