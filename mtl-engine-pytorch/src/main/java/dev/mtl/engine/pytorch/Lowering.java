package dev.mtl.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ParameterOwner;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.task.LossKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Lowers each kind of {@link Layer}, {@link Head}, {@link Penalty} and {@link AuxiliaryLoss} to PyTorch operations on
 * named parameters. Sequences are {@code (batch, time, width)} and are zero at padding positions.
 * Arrays computed in a step belong to that step's memory scope, never to the network's.
 */
final class Lowering {
  /** Added to padding positions before max-pooling so they never win. */
  private static final float MASKED = -1e4f;

  private final ModelGraph graph;
  private final ParameterSet parameters;
  private final Map<String, Layer> layers = new HashMap<>();
  /** Per task, the layers its loss reads (see {@link Fused}). */
  private final Map<String, List<String>> layersOf = new HashMap<>();
  /**
   * Arrays that predictions derive from the parameters and would otherwise rebuild on every call
   * (a CNN's combined weight, the heads' stacked weights), kept in {@code derivedManager} until the
   * parameters change ({@link #forgetDerived}); null: never kept.
   */
  private final NDManager derivedManager;
  private final Map<String, NDArray> derived = new HashMap<>();
  /** See {@link #readsFeatures()}; asked on every pass, so worked out once. */
  private final boolean readsFeatures;
  /** See {@link #atStep}. */
  private long step;

  Lowering(ModelGraph graph, ParameterSet parameters) {
    this(graph, parameters, null);
  }

  Lowering(ModelGraph graph, ParameterSet parameters, NDManager derivedManager) {
    this.graph = graph;
    this.parameters = parameters;
    this.derivedManager = derivedManager;
    this.readsFeatures = graph.layers().stream().anyMatch(l -> l instanceof Layer.Features);
    graph.layers().forEach(layer -> layers.put(layer.id(), layer));
    for (Head head : graph.heads()) {
      layersOf.put(head.task(), graph.parametersOf(head.task()).stream()
          .filter(owner -> owner.kind() == ParameterOwner.Kind.LAYER).map(ParameterOwner::id).toList());
    }
  }

  /** The trainable parameters' names of {@code owners}, in creation order. */
  List<String> trainableNames(Set<ParameterOwner> owners) {
    return parameters.layout().trainableNames(owners);
  }

  private static String headPrefix(Head head) {
    return ParameterLayout.headPrefix(head.task());
  }

  /** Drops the arrays kept for predictions: the parameters are about to change. */
  synchronized void forgetDerived() {
    derived.values().forEach(NDArray::close);
    derived.clear();
  }

  /**
   * An array derived from the parameters: for a prediction ({@code keep}), made once in the
   * network's memory and kept until the parameters change; otherwise made in the pass's scope
   * (while training, autograd follows it to the parameters).
   */
  private NDArray derived(String key, boolean keep, Supplier<NDArray> make) {
    if (!keep || derivedManager == null) {
      return make.get();
    }
    synchronized (this) {
      NDArray kept = derived.get(key);
      if (kept == null) {
        kept = make.get();
        kept.attach(derivedManager);
        derived.put(key, kept);
      }
      return kept;
    }
  }

  /** The scores a loss's activation makes of logits: probabilities, or the values themselves. */
  static NDArray activation(LossKind loss, NDArray logits) {
    return switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> logits.softmax(1);
      case SIGMOID_BINARY_CROSS_ENTROPY -> logits.getNDArrayInternal().sigmoid();
      case MEAN_SQUARED_ERROR, HUBER -> logits;
    };
  }

  /**
   * The penalties' weighted sum over the current parameter values, or null if the graph has none.
   * Parameters are paired across the penalty's layers by the part of their names after the layer id.
   */
  NDArray penalty(NDManager scope) {
    NDArray total = null;
    for (Penalty penalty : graph.penalties()) {
      Map<String, List<NDArray>> bySuffix = new LinkedHashMap<>();
      for (String layerId : penalty.layerIds()) {
        String prefix = layerId + ".";
        parameters.arrays().forEach((name, array) -> {
          if (name.startsWith(prefix)) {
            bySuffix.computeIfAbsent(name.substring(prefix.length()), k -> new ArrayList<>()).add(array);
          }
        });
      }
      for (List<NDArray> group : bySuffix.values()) {
        NDArray value = inScope(scope, measure(penalty.kind(), group, scope)).mul(scalar(scope, (float) penalty.lambda()));
        total = total == null ? value : total.add(value);
      }
    }
    return total;
  }

  private static NDArray measure(Penalty.Kind kind, List<NDArray> group, NDManager scope) {
    NDArray sum = scope.zeros(new Shape());
    switch (kind) {
      case PAIRWISE_DISTANCE -> {
        for (int i = 0; i < group.size(); i++) {
          for (int j = i + 1; j < group.size(); j++) {
            sum = sum.add(inScope(scope, group.get(i).sub(group.get(j))).square().sum());
          }
        }
      }
      case DISTANCE_TO_MEAN -> {
        NDArray mean = inScope(scope, NDArrays.stack(new NDList(group))).mean(new int[] {0});
        for (NDArray p : group) {
          sum = sum.add(inScope(scope, p.sub(mean)).square().sum());
        }
      }
      case SQUARED_NORM -> {
        for (NDArray p : group) {
          sum = sum.add(inScope(scope, p.square()).sum());
        }
      }
    }
    return sum;
  }

  /**
   * A scalar constant that lives as long as the step's scope. Graphs that autograd records must use
   * these instead of DJL's {@code array.mul(0.5f)}-style overloads: those wrap the number in an
   * array backed by a Java buffer and close it as soon as the op returns, but autograd keeps the
   * scalar for the backward pass (mul, div, maximum, minimum save their operands), so once the
   * garbage collector frees the buffer, backward reads freed memory and the gradients turn
   * nondeterministic or NaN (GramianTest#deterministicWhileCollectingGarbage).
   */
  static NDArray scalar(NDManager scope, float value) {
    return scope.create(value);
  }

  /** Moves an array computed from parameters into the step's scope, so it is freed with the step. */
  private static NDArray inScope(NDManager scope, NDArray array) {
    array.attach(scope);
    return array;
  }

  /** One forward pass over a batch: layer outputs computed on demand and kept for the heads. */
  final class Pass {
    private final NDManager scope;
    private final PassInputs inputs;
    private final boolean training;
    private final String detachAt;
    private final Map<String, NDArray> values;
    /** The step's passes when several batches go through the network together; null for a pass of its own. */
    private final Fused fused;
    /** Which of the fused batches this pass's rows are (fused passes only). */
    private final BitSet batches;
    /** A prediction's pass: it may keep what it derives from the parameters (see {@link #derived}). */
    private final boolean predicting;
    private final Map<String, NDArray> outputs = new HashMap<>();
    private NDArray trunkOutput;

    /**
     * @param detachAt a layer whose output later layers read as a new gradient leaf (so per-task
     *     gradients can be taken there, see {@link #representation()}), or null
     * @param values the parameters' values to read, by name; null: the parameters themselves
     */
    Pass(PassInputs inputs, boolean training, String detachAt, Map<String, NDArray> values) {
      this(inputs, training, detachAt, values, null, null, false);
    }

    private Pass(PassInputs inputs, boolean training, String detachAt, Map<String, NDArray> values, Fused fused, BitSet batches,
        boolean predicting) {
      this.scope = inputs.scope();
      this.inputs = inputs;
      this.training = training;
      this.detachAt = detachAt;
      this.values = values == null ? parameters.arrays() : values;
      this.fused = fused;
      this.batches = batches;
      this.predicting = predicting;
    }

    NDArray output(String layerId) {
      NDArray cached = outputs.get(layerId);
      if (cached == null) {
        Pass home = fused == null ? this : fused.home(layerId, this);
        if (home != this) {
          cached = fused.rowsOf(home.output(layerId), home, this);
        } else {
          cached = compute(layers.get(layerId));
          if (layerId.equals(detachAt)) {
            trunkOutput = cached;
            cached = cached.stopGradient();
            cached.setRequiresGradient(true);
          }
        }
        outputs.put(layerId, cached);
      }
      return cached;
    }

    /**
     * The detached layer's output: {@code leaf} is what later layers read (its gradient collects
     * what the heads send back), {@code trunk} is the same value still attached to the layers below.
     */
    Representation representation() {
      NDArray leaf = output(detachAt);
      return new Representation(leaf, trunkOutput);
    }

    /** A head's logits, {@code (batch, outputs)}. */
    NDArray logits(Head head) {
      NDArray x = dropout(output(head.input()), head.dropout());
      Map<String, NDArray> w = values;
      return Linear.linear(x, w.get(headPrefix(head) + "weight"), w.get(headPrefix(head) + "bias")).singletonOrThrow();
    }

    /**
     * A prediction's logits of several heads side by side, {@code (batch, Σ outputs)} in the order
     * given, without dropout: heads that read the same layer share one matrix product with their
     * weights stacked (kept between predictions, see {@link #derived}).
     */
    NDArray logitsOf(List<Head> heads) {
      NDList parts = new NDList();
      int start = 0;
      while (start < heads.size()) {
        int end = start + 1;
        while (end < heads.size() && heads.get(end).input().equals(heads.get(start).input())) {
          end++;
        }
        List<Head> group = heads.subList(start, end);
        if (group.size() == 1) {
          parts.add(logits(group.get(0)));
        } else {
          String key = "heads:" + group.stream().map(Head::task).reduce((a, b) -> a + "," + b).orElseThrow();
          NDArray weight = derived(key + ".weight", predicting, () -> stack(group, "weight"));
          NDArray bias = derived(key + ".bias", predicting, () -> stack(group, "bias"));
          parts.add(Linear.linear(output(group.get(0).input()), weight, bias).singletonOrThrow());
        }
        start = end;
      }
      return parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 1);
    }

    private NDArray stack(List<Head> heads, String suffix) {
      NDList arrays = new NDList();
      heads.forEach(h -> arrays.add(values.get(headPrefix(h) + suffix)));
      return inScope(scope, NDArrays.concat(arrays, 0));
    }

    /** A parameter of a layer as the forward pass uses it: its own value plus its base's, if any. */
    private NDArray param(Layer layer, String suffix) {
      NDArray own = values.get(layer.id() + "." + suffix);
      if (layer.base().isEmpty()) {
        return own;
      }
      return inScope(scope, own.add(param(layers.get(layer.base().get()), suffix)));
    }

    private NDArray compute(Layer layer) {
      if (layer instanceof Layer.Embedding e) {
        NDArray leaf = inputs.tableLeaf(e.id() + ".weight");
        NDArray x = leaf == null
            ? Embedding.embedding(inputs.tokens(), param(e, "weight"), SparseFormat.DENSE).singletonOrThrow()
            : Embedding.embedding(inputs.tableTokens(), leaf, SparseFormat.DENSE).singletonOrThrow();
        return masked(dropout(x, e.dropout()));
      }
      if (layer instanceof Layer.Features f) {
        return dropout(inputs.features(), f.dropout()); // one position per text, never padding
      }
      if (layer instanceof Layer.Transformer t) {
        return masked(transformer(t, null));
      }
      if (layer instanceof Layer.AdaptedTransformer a) {
        return masked(transformer((Layer.Transformer) layers.get(a.transformerId()), a));
      }
      if (layer instanceof Layer.Encoder e) {
        NDArray x = output(e.inputId());
        return switch (e.kind()) {
          case MEAN -> x;
          case CNN -> masked(cnn(x, e));
          case BILSTM -> masked(bilstm(x, e));
        };
      }
      if (layer instanceof Layer.Pool pool) {
        return pool(output(pool.inputId()), pool.kind());
      }
      if (layer instanceof Layer.Mix mix) {
        NDArray alpha = values.get(mix.unit() + ".alpha");
        NDArray parents = mix.branching().isPresent() ? parentWeights(mix, alpha) : null;
        NDArray sum = null;
        for (int j = 0; j < mix.inputIds().size(); j++) {
          NDArray weight = parents != null ? inScope(scope, parents.get(j)) : inScope(scope, alpha.get(mix.row(), j));
          NDArray term = output(mix.inputIds().get(j)).mul(weight);
          sum = sum == null ? term : sum.add(term);
        }
        return sum;
      }
      if (layer instanceof Layer.Concat concat) {
        if (concat.inputIds().size() == 1) {
          return output(concat.inputIds().get(0)); // DJL's concat of one array is a copy autograd does not follow
        }
        NDList parts = new NDList();
        concat.inputIds().forEach(id -> parts.add(output(id)));
        return NDArrays.concat(parts, 1);
      }
      if (layer instanceof Layer.GradientReversal reversal) {
        // sg + (x - sg)·(-scale): exactly x going forward, -scale times the gradient going back.
        NDArray x = output(reversal.inputId());
        NDArray held = x.stopGradient();
        return held.add(x.sub(held).mul(scalar(scope, (float) -reversal.scale())));
      }
      if (layer instanceof Layer.TaskAttention attention) {
        NDArray x = output(attention.inputId());
        NDArray both = attention.contextId().map(c -> NDArrays.concat(new NDList(x, output(c)), 2)).orElse(x);
        NDArray mask = Linear.linear(both, param(attention, "weight"), param(attention, "bias")).singletonOrThrow()
            .getNDArrayInternal().sigmoid();
        return mask.mul(x); // x is zero at padding, so the product is too
      }
      if (layer instanceof Layer.Gate gate) {
        NDArray logits = Linear.linear(output(gate.gateInputId()), param(gate, "weight"), param(gate, "bias")).singletonOrThrow();
        NDArray weights = gate.sparse().isEmpty() ? logits.softmax(1) : dselect(logits, gate);
        NDList experts = new NDList();
        gate.expertIds().forEach(id -> experts.add(output(id)));
        NDArray stacked = NDArrays.stack(experts, 1);
        // (batch, experts) → (batch, experts, 1[, 1]): one weight per text for every position and feature.
        NDArray perExpert = weights.expandDims(2);
        if (stacked.getShape().dimension() == 4) {
          perExpert = perExpert.expandDims(3);
        }
        return stacked.mul(perExpert).sum(new int[] {1});
      }
      Layer.LabelFeed feed = (Layer.LabelFeed) layer;
      NDArray x = output(feed.inputId());
      Head head = graph.head(feed.task());
      NDArray scores = activation(head.output().loss(), logits(head));
      Shape shape = x.getShape();
      NDArray perPosition = scores.expandDims(1).broadcast(new Shape(shape.get(0), shape.get(1), scores.getShape().get(1)));
      return masked(NDArrays.concat(new NDList(x, perPosition), 2));
    }

    /** DSelect-k's expert weights {@code (batch, experts)} from the gate's logits (see {@link Layer.DSelect}). */
    private NDArray dselect(NDArray logits, Layer.Gate gate) {
      Layer.DSelect d = gate.sparse().orElseThrow();
      int n = gate.expertIds().size();
      int m = Layer.DSelect.bits(n);
      int k = d.selectors();
      long batch = logits.getShape().get(0);
      float half = (float) (d.gamma() / 2);
      // Smooth step on the codes: t clipped to [−γ/2, γ/2], S(t) = −2t³/γ³ + 3t/(2γ) + ½.
      NDArray t = logits.get(":, 0:" + (k * m)).clip(-half, half).reshape(batch, k, 1, m);
      float g = (float) d.gamma();
      // t·t·t and scope scalars: DJL's pow(Number)/mul(Number) free the scalar autograd keeps (see scalar()).
      NDArray s = t.mul(t).mul(t).mul(scalar(scope, -2f / (g * g * g))).add(t.mul(scalar(scope, 3f / (2 * g)))).add(0.5f);
      NDArray bits = scope.create(Layer.DSelect.codes(n), new Shape(1, 1, n, m));
      // b·S + (1 − b)(1 − S) = (1 − S) + b(2S − 1), multiplied over the code's bits.
      NDArray perBit = s.neg().add(1f).add(bits.mul(s.mul(scalar(scope, 2f)).sub(1f)));
      // The product over the code's bits, one multiplication per bit (factors reach exactly 0).
      NDArray perSelector = perBit.get(":, :, :, 0");
      for (int j = 1; j < m; j++) {
        perSelector = perSelector.mul(perBit.get(":, :, :, " + j)); // (batch, selectors, experts)
      }
      NDArray mix = logits.get(":, " + (k * m) + ":").softmax(1).reshape(batch, k, 1);
      return perSelector.mul(mix).sum(new int[] {1});
    }

    /** Zero at padding positions; the array itself when no row is padded. */
    private NDArray masked(NDArray x) {
      return inputs.padded() ? x.mul(inputs.mask()) : x;
    }

    /** Dropout while training; the array itself otherwise (libtorch's dropout is the identity then, at a native call's cost). */
    private NDArray dropout(NDArray x, double rate) {
      return training && rate > 0 ? Dropout.dropout(x, (float) rate, true).singletonOrThrow() : x;
    }

    /**
     * The auxiliary losses' weighted sum on this pass's batch, or null when none applies to it.
     *
     * @param tasks the tasks labelled in this batch
     */
    NDArray auxiliaryLoss(List<String> tasks) {
      NDArray total = null;
      for (AuxiliaryLoss loss : graph.auxiliaryLosses()) {
        NDArray value = null;
        if (loss instanceof AuxiliaryLoss.TaskDiscriminator d && tasks.size() == 1) {
          int source = graph.heads().indexOf(graph.head(tasks.get(0)));
          NDArray logits = Linear.linear(output(d.inputId()), values.get(d.id() + ".weight"), values.get(d.id() + ".bias"))
              .singletonOrThrow();
          value = logits.logSoftmax(1).get(":, " + source).mean().neg();
        } else if (loss instanceof AuxiliaryLoss.Orthogonality o) {
          for (AuxiliaryLoss.Pair pair : o.pairs()) {
            if (tasks.contains(pair.task())) {
              NDArray product = unitRows(output(pair.privateId())).transpose().matMul(unitRows(output(pair.sharedId())));
              NDArray term = product.square().mean();
              value = value == null ? term : value.add(term);
            }
          }
        }
        if (value != null) {
          value = value.mul(scalar(scope, (float) loss.weight()));
          total = total == null ? value : total.add(value);
        }
      }
      return total;
    }

    /**
     * BERT's encoder (post-norm blocks, erf GELU), as HuggingFace's BertModel computes it: token +
     * position + type-0 embeddings, then per block masked multi-head self-attention and a
     * feed-forward, each added to its input and layer-normed. Padded keys get -10000 before the
     * softmax, so their weight is exactly 0 in float and real positions do not depend on padding.
     * With {@code adapters} (or null), their bottleneck adapters act on each block's two outputs.
     */
    private NDArray transformer(Layer.Transformer t, Layer.AdaptedTransformer adapters) {
      TransformerShape shape = t.shape();
      NDArray tokens = inputs.tokens();
      long batch = inputs.size();
      long time = inputs.time();
      if (time > shape.maxPositions()) {
        throw new IllegalArgumentException("transformer '" + t.id() + "' covers " + shape.maxPositions() + " positions but a batch has "
            + time + " tokens; cut texts with the tokenizer's max-length");
      }
      float dropout = (float) t.dropout();
      NDArray x = Embedding.embedding(tokens, param(t, "embeddings.word_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
      NDArray positions = inScope(scope, param(t, "embeddings.position_embeddings.weight").get("0:" + time));
      NDArray type = inScope(scope, param(t, "embeddings.token_type_embeddings.weight").get(0));
      x = layerNorm(x.add(positions).add(type), t, "embeddings.LayerNorm", shape);
      x = dropout(x, dropout);
      // (batch, 1, 1, time): 0 at real keys, -10000 at padding; none without padding.
      NDArray keyMask = inputs.padded() ? inputs.atPadding(-10000f).reshape(batch, 1, 1, time) : null;
      int heads = shape.heads();
      int headSize = shape.headSize();
      NDArray scale = scalar(scope, (float) (1 / Math.sqrt(headSize)));
      for (int l = 0; l < shape.layers(); l++) {
        // Predicting, nothing below a block is needed once it is done: its intermediates (at batch 256 and
        // 64 tokens, about 0.8 GB a block) are freed at its end instead of living until the pass's scope closes.
        NDManager blockScope = training ? null : scope.newSubManager();
        if (blockScope != null) {
          x.attach(blockScope);
        }
        String block = "encoder.layer." + l + ".";
        NDArray q = splitHeads(dense(x, t, block + "attention.self.query"), batch, time, heads, headSize);
        NDArray k = splitHeads(dense(x, t, block + "attention.self.key"), batch, time, heads, headSize);
        NDArray v = splitHeads(dense(x, t, block + "attention.self.value"), batch, time, heads, headSize);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
        NDArray attention = dropout(keyMask == null ? scores.softmax(3) : scores.add(keyMask).softmax(3), dropout);
        NDArray context = attention.matMul(v).transpose(0, 2, 1, 3).reshape(batch, time, shape.width());
        NDArray attended = dropout(dense(context, t, block + "attention.output.dense"), dropout);
        attended = adapt(attended, adapters, block + "attention.adapter");
        x = layerNorm(attended.add(x), t, block + "attention.output.LayerNorm", shape);
        NDArray inner = dense(x, t, block + "intermediate.dense").getNDArrayInternal().gelu();
        NDArray out = dropout(dense(inner, t, block + "output.dense"), dropout);
        out = adapt(out, adapters, block + "output.adapter");
        x = layerNorm(out.add(x), t, block + "output.LayerNorm", shape);
        if (blockScope != null) {
          x.attach(scope);
          blockScope.close();
        }
      }
      return x;
    }

    /** {@code h + up(gelu(down(h)))} with the adapter {@code name} of {@code adapters}; {@code h} itself without adapters. */
    private NDArray adapt(NDArray h, Layer.AdaptedTransformer adapters, String name) {
      if (adapters == null) {
        return h;
      }
      NDArray bottleneck = dense(h, adapters, name + ".down").getNDArrayInternal().gelu();
      return h.add(dense(bottleneck, adapters, name + ".up"));
    }

    private NDArray dense(NDArray x, Layer layer, String name) {
      return Linear.linear(x, param(layer, name + ".weight"), param(layer, name + ".bias")).singletonOrThrow();
    }

    /** (batch, time, width) to (batch, heads, time, headSize). */
    private static NDArray splitHeads(NDArray x, long batch, long time, int heads, int headSize) {
      return x.reshape(batch, time, heads, headSize).transpose(0, 2, 1, 3);
    }

    /** Normalised over the last axis (biased variance, as torch.nn.LayerNorm), then scaled and shifted. */
    private NDArray layerNorm(NDArray x, Layer layer, String name, TransformerShape shape) {
      NDArray centred = x.sub(x.mean(new int[] {-1}, true));
      NDArray variance = centred.square().mean(new int[] {-1}, true);
      NDArray normalised = centred.div(variance.add(scalar(scope, (float) shape.layerNormEpsilon())).sqrt());
      return normalised.mul(param(layer, name + ".weight")).add(param(layer, name + ".bias"));
    }

    /**
     * A branching row's weights over its parents: in training a hard Gumbel-softmax sample (one-hot
     * going forward, the soft sample's gradient going back to the logits); otherwise the most likely
     * parent's one-hot, a constant. A parent not chosen gets weight exactly 0, so no gradient.
     */
    private NDArray parentWeights(Layer.Mix mix, NDArray alpha) {
      NDArray logits = inScope(scope, alpha.get(mix.row()));
      int parents = mix.inputIds().size();
      if (!training) {
        return scope.create(oneHot(logits.toFloatArray()));
      }
      NDArray uniform = scope.randomUniform(1e-6f, 1f, new Shape(parents));
      NDArray gumbel = uniform.log().neg().log().neg();
      float temperature = (float) mix.branching().orElseThrow().temperature(step);
      NDArray soft = logits.add(gumbel).div(scalar(scope, temperature)).softmax(0);
      NDArray hard = scope.create(oneHot(soft.toFloatArray()));
      return hard.sub(soft.stopGradient()).add(soft);
    }

    /** Rows centred over the batch, then scaled to unit length (1e-6 under the root keeps a zero row finite). */
    private NDArray unitRows(NDArray x) {
      NDArray centred = x.sub(x.mean(new int[] {0}, true));
      return centred.div(centred.square().sum(new int[] {1}, true).add(scalar(scope, 1e-6f)).sqrt());
    }

    private NDArray pool(NDArray x, PoolKind kind) {
      if (kind == PoolKind.MEAN) {
        return x.sum(new int[] {1}).div(inputs.counts()); // padding positions are zero
      }
      NDArray pooled = (inputs.padded() ? x.add(inputs.atPadding(MASKED)) : x).max(new int[] {1});
      // A text with no tokens at all pools to zeros rather than the masking constant.
      NDArray nonEmpty = inputs.nonEmptyRows();
      return nonEmpty == null ? pooled : pooled.mul(nonEmpty);
    }

    /**
     * Convolutions of widths 3, 4, 5 with 'same' output length (width/2 zeros before, the rest
     * after), as one matrix product of every position's window with all widths' weights. Not
     * libtorch's convolution: on AMD EPYC (family 26) CPUs its oneDNN kernels (libtorch 2.7.1,
     * oneDNN 3.7.1) gave wrong outputs and input gradients, and read memory nothing had written
     * (NaN at random), whenever a channel count needed padding to the kernel's block, e.g. 100
     * or 300 channels; matrix products are exact there (CnnGradientTest). Weights keep PyTorch's
     * {@code (out, in, width)} layout, so saved models are unchanged.
     */
    private NDArray cnn(NDArray x, Layer.Encoder e) {
      Shape shape = x.getShape();
      long batch = shape.get(0);
      long time = shape.get(1);
      long in = shape.get(2);
      int before = 0;
      int after = 0;
      for (int width : ParameterLayout.CNN_WIDTHS) {
        before = Math.max(before, width / 2);
        after = Math.max(after, width - 1 - width / 2);
      }
      NDArray padded = NDArrays.concat(new NDList(scope.zeros(new Shape(batch, before, in)), x,
          scope.zeros(new Shape(batch, after, in))), 1);
      // windows[b, t, j·in + c] = padded[b, t + j, c]: every position's widest window, flattened.
      int widest = before + after + 1;
      NDList shifted = new NDList();
      for (int j = 0; j < widest; j++) {
        shifted.add(padded.get(":, " + j + ":" + (j + time) + ", :"));
      }
      NDArray windows = NDArrays.concat(shifted, 2);
      // One product for all widths: each width's (out, width·in) weight sits in the columns of
      // its window inside the widest window, zeros elsewhere.
      int start = before;
      int span = widest;
      NDArray weight = derived(e.id() + ".windows.weight", predicting, () -> windowWeights(e, in, start, span));
      NDArray bias = derived(e.id() + ".windows.bias", predicting, () -> {
        NDList biases = new NDList();
        for (int width : ParameterLayout.CNN_WIDTHS) {
          biases.add(param(e, "conv" + width + ".bias"));
        }
        return inScope(scope, NDArrays.concat(biases, 0));
      });
      return Linear.linear(windows, weight, bias).singletonOrThrow().getNDArrayInternal().relu();
    }

    /** Every width's {@code (out, in, width)} weight as columns of the widest window, {@code (Σ out, widest·in)}. */
    private NDArray windowWeights(Layer.Encoder e, long in, int before, int widest) {
      NDList weights = new NDList();
      for (int width : ParameterLayout.CNN_WIDTHS) {
        NDArray weight = param(e, "conv" + width + ".weight");
        long out = weight.getShape().get(0);
        int first = before - width / 2; // this width's window starts that many positions later
        // (out, in, width) -> (out, width·in), matching the windows' position-major order.
        NDArray flat = inScope(scope, weight.transpose(0, 2, 1)).reshape(out, width * in);
        weights.add(NDArrays.concat(new NDList(scope.zeros(new Shape(out, first * in)), flat,
            scope.zeros(new Shape(out, (widest - first - width) * in))), 1));
      }
      return NDArrays.concat(weights, 0);
    }

    /**
     * Two LSTMs: one reads each text forwards, the other reads each text's real tokens backwards
     * (padding stays at the end), so padding never reaches either direction's states.
     */
    private NDArray bilstm(NDArray x, Layer.Encoder e) {
      NDArray forward = lstm(x, e, "forward.");
      NDArray backward = lstm(x.gather(reverseIndex(x.getShape().get(2)), 1), e, "backward.");
      return NDArrays.concat(new NDList(forward, backward.gather(reverseIndex(e.hiddenSize()), 1)), 2);
    }

    private NDArray lstm(NDArray x, Layer.Encoder e, String direction) {
      long batch = x.getShape().get(0);
      NDArray zeros = scope.zeros(new Shape(1, batch, e.hiddenSize()));
      NDList params = new NDList(param(e, direction + "w_ih"), param(e, direction + "w_hh"),
          param(e, direction + "b_ih"), param(e, direction + "b_hh"));
      NDList out = x.getNDArrayInternal().lstm(x, new NDList(zeros, zeros), params, true, 1, 0, training, false, true);
      return out.get(0);
    }

    /** Index that reverses each row's first {@code length} positions and leaves padding in place. */
    private NDArray reverseIndex(long width) {
      int[] lengths = inputs.lengths();
      int rows = lengths.length;
      int time = inputs.time();
      long[] index = new long[rows * time];
      for (int b = 0; b < rows; b++) {
        for (int t = 0; t < time; t++) {
          index[b * time + t] = t < lengths[b] ? lengths[b] - 1 - t : t;
        }
      }
      return scope.create(index, new Shape(rows, time, 1)).repeat(2, width);
    }
  }

  record Representation(NDArray leaf, NDArray trunk) {}

  /**
   * One forward pass over several batches at once, one per data source, their rows one after the
   * other (a step that draws a batch from each source). A layer that the tasks of two or more of
   * the batches read runs once over all of their rows, so a shared encoder makes one pass per step
   * instead of one per source; a layer only one batch's tasks read (a private encoder, a head) runs
   * on that batch's rows alone, padded to that batch's longest. The values are those of a pass per
   * batch: no layer mixes rows, and padding never reaches a real position.
   */
  final class Fused {
    private final PassInputs all;
    private final int[] sizes;
    private final boolean training;
    private final Map<String, NDArray> values;
    /** Per layer, the batches whose tasks read it. */
    private final Map<String, BitSet> readers = new HashMap<>();
    private final Map<BitSet, Pass> passes = new HashMap<>();

    /**
     * @param all every batch's rows, batch after batch
     * @param sizes each batch's rows
     * @param tasks each batch's tasks (those with labels in it)
     */
    Fused(PassInputs all, int[] sizes, List<? extends Collection<String>> tasks, boolean training, Map<String, NDArray> values) {
      this.all = all;
      this.sizes = sizes;
      this.training = training;
      this.values = values;
      for (int b = 0; b < sizes.length; b++) {
        for (String task : tasks.get(b)) {
          for (String layer : layersOf.get(task)) {
            readers.computeIfAbsent(layer, k -> new BitSet()).set(b);
          }
        }
      }
    }

    /** The pass over batch {@code b}'s rows. */
    Pass batch(int b) {
      BitSet one = new BitSet();
      one.set(b);
      return pass(one);
    }

    private Pass pass(BitSet batches) {
      return passes.computeIfAbsent(batches, key -> {
        PassInputs inputs = key.cardinality() == sizes.length ? all : all.select(positions(key, null));
        return new Pass(inputs, training, null, values, this, key, false);
      });
    }

    /** Where a layer's output for {@code asking}'s rows is computed: the pass over every batch that reads it, or {@code asking} itself. */
    Pass home(String layerId, Pass asking) {
      BitSet readBy = readers.get(layerId);
      if (readBy == null || readBy.equals(asking.batches)) {
        return asking;
      }
      BitSet outside = (BitSet) asking.batches.clone();
      outside.andNot(readBy);
      return outside.isEmpty() ? pass(readBy) : asking;
    }

    /** {@code to}'s rows (and positions, for a sequence) of an output {@code from} computed over more rows. */
    NDArray rowsOf(NDArray x, Pass from, Pass to) {
      int[] rows = positions(to.batches, from.batches);
      boolean contiguous = rows[rows.length - 1] - rows[0] == rows.length - 1;
      boolean sequence = x.getShape().dimension() == 3;
      String time = sequence && x.getShape().get(1) > to.inputs.time() ? ", :" + to.inputs.time() : "";
      if (contiguous) {
        return x.get(rows[0] + ":" + (rows[rows.length - 1] + 1) + time);
      }
      NDArray selected = x.get(new NDIndex("{}", to.scope.create(Arrays.stream(rows).mapToLong(r -> r).toArray())));
      return time.isEmpty() ? selected : selected.get(":" + time);
    }

    /** The rows of {@code batches} among the rows of {@code within} (null: all batches), in batch order. */
    private int[] positions(BitSet batches, BitSet within) {
      int[] out = new int[batches.stream().map(b -> sizes[b]).sum()];
      int next = 0;
      int offset = 0;
      for (int b = 0; b < sizes.length; b++) {
        if (within != null && !within.get(b)) {
          continue;
        }
        if (batches.get(b)) {
          for (int r = 0; r < sizes[b]; r++) {
            out[next++] = offset + r;
          }
        }
        offset += sizes[b];
      }
      return out;
    }
  }

  /** 1 at the largest value (the first of equals), 0 elsewhere. */
  static float[] oneHot(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    float[] out = new float[values.length];
    out[best] = 1;
    return out;
  }

  /** The optimizer step that training passes belong to, for what depends on it (Learning to Branch's temperature). */
  void atStep(long step) {
    this.step = step;
  }

  Pass pass(PassInputs inputs, boolean training, String detachAt, Map<String, NDArray> values) {
    return new Pass(inputs, training, detachAt, values);
  }

  /** A prediction's pass (no dropout, no autograd), which keeps what it derives from the parameters until they change. */
  Pass predictionPass(PassInputs inputs, Map<String, NDArray> values) {
    return new Pass(inputs, false, null, values, null, null, true);
  }

  /** True when the graph starts from pretrained sentence vectors rather than token ids. */
  boolean readsFeatures() {
    return readsFeatures;
  }

  List<Head> heads() {
    return graph.heads();
  }
}
