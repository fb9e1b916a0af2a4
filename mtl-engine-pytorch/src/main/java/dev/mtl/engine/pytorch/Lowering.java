package dev.mtl.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  Lowering(ModelGraph graph, ParameterSet parameters) {
    this.graph = graph;
    this.parameters = parameters;
    graph.layers().forEach(layer -> layers.put(layer.id(), layer));
  }

  /** The trainable parameters' names of {@code owners}, in creation order. */
  List<String> trainableNames(Set<ParameterOwner> owners) {
    return parameters.layout().trainableNames(owners);
  }

  private static String headPrefix(Head head) {
    return "head." + head.task() + ".";
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
    private final NDArray tokens;
    private final NDArray features;
    private final EmbeddingRows rows;
    private final NDArray mask;
    private final int[] lengths;
    private final boolean training;
    private final String detachAt;
    private final Map<String, NDArray> values;
    private final Map<String, NDArray> outputs = new HashMap<>();
    private NDArray trunkOutput;

    /**
     * @param tokens {@code (batch, time)} int64 ids
     * @param features {@code (batch, 1, width)} pretrained sentence vectors, or null
     * @param rows this step's embedding rows, for tables updated row by row, or null
     * @param mask {@code (batch, time, 1)} float, 1 at real tokens
     * @param lengths real tokens per row
     * @param detachAt a layer whose output later layers read as a new gradient leaf (so per-task
     *     gradients can be taken there, see {@link #representation()}), or null
     * @param values the parameters' values to read, by name; null: the parameters themselves
     */
    Pass(NDArray tokens, NDArray features, EmbeddingRows rows, NDArray mask, int[] lengths, boolean training, String detachAt,
        Map<String, NDArray> values) {
      this.scope = tokens.getManager();
      this.tokens = tokens;
      this.features = features;
      this.rows = rows;
      this.mask = mask;
      this.lengths = lengths;
      this.training = training;
      this.detachAt = detachAt;
      this.values = values == null ? parameters.arrays() : values;
    }

    NDArray output(String layerId) {
      NDArray cached = outputs.get(layerId);
      if (cached == null) {
        cached = compute(layers.get(layerId));
        if (layerId.equals(detachAt)) {
          trunkOutput = cached;
          cached = cached.stopGradient();
          cached.setRequiresGradient(true);
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
      NDArray x = Dropout.dropout(output(head.input()), (float) head.dropout(), training).singletonOrThrow();
      Map<String, NDArray> w = values;
      return Linear.linear(x, w.get(headPrefix(head) + "weight"), w.get(headPrefix(head) + "bias")).singletonOrThrow();
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
        NDArray leaf = rows == null ? null : rows.leaves().get(e.id() + ".weight");
        NDArray x = leaf == null
            ? Embedding.embedding(tokens, param(e, "weight"), SparseFormat.DENSE).singletonOrThrow()
            : Embedding.embedding(rows.tokens(), leaf, SparseFormat.DENSE).singletonOrThrow();
        x = Dropout.dropout(x, (float) e.dropout(), training).singletonOrThrow();
        return x.mul(mask);
      }
      if (layer instanceof Layer.Features f) {
        NDArray x = Dropout.dropout(features, (float) f.dropout(), training).singletonOrThrow();
        return x.mul(mask);
      }
      if (layer instanceof Layer.Transformer t) {
        return transformer(t, null).mul(mask);
      }
      if (layer instanceof Layer.AdaptedTransformer a) {
        return transformer((Layer.Transformer) layers.get(a.transformerId()), a).mul(mask);
      }
      if (layer instanceof Layer.Encoder e) {
        NDArray x = output(e.inputId());
        return switch (e.kind()) {
          case MEAN -> x;
          case CNN -> cnn(x, e).mul(mask);
          case BILSTM -> bilstm(x, e).mul(mask);
        };
      }
      if (layer instanceof Layer.Pool pool) {
        return pool(output(pool.inputId()), pool.kind());
      }
      if (layer instanceof Layer.Mix mix) {
        NDArray alpha = values.get(mix.unit() + ".alpha");
        NDArray sum = null;
        for (int j = 0; j < mix.inputIds().size(); j++) {
          NDArray term = output(mix.inputIds().get(j)).mul(inScope(scope, alpha.get(mix.row(), j)));
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
      if (layer instanceof Layer.Gate gate) {
        NDArray weights = Linear.linear(output(gate.gateInputId()), param(gate, "weight"), param(gate, "bias"))
            .singletonOrThrow().softmax(1);
        NDList experts = new NDList();
        gate.expertIds().forEach(id -> experts.add(output(id)));
        return NDArrays.stack(experts, 1).mul(weights.expandDims(2)).sum(new int[] {1});
      }
      Layer.LabelFeed feed = (Layer.LabelFeed) layer;
      NDArray x = output(feed.inputId());
      Head head = graph.head(feed.task());
      NDArray scores = activation(head.output().loss(), logits(head));
      Shape shape = x.getShape();
      NDArray perPosition = scores.expandDims(1).broadcast(new Shape(shape.get(0), shape.get(1), scores.getShape().get(1)));
      return NDArrays.concat(new NDList(x, perPosition), 2).mul(mask);
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
      Shape tokenShape = tokens.getShape();
      long batch = tokenShape.get(0);
      long time = tokenShape.get(1);
      if (time > shape.maxPositions()) {
        throw new IllegalArgumentException("transformer '" + t.id() + "' covers " + shape.maxPositions() + " positions but a batch has "
            + time + " tokens; cut texts with the tokenizer's max-length");
      }
      float dropout = (float) t.dropout();
      NDArray x = Embedding.embedding(tokens, param(t, "embeddings.word_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
      NDArray positions = inScope(scope, param(t, "embeddings.position_embeddings.weight").get("0:" + time));
      NDArray type = inScope(scope, param(t, "embeddings.token_type_embeddings.weight").get(0));
      x = layerNorm(x.add(positions).add(type), t, "embeddings.LayerNorm", shape);
      x = Dropout.dropout(x, dropout, training).singletonOrThrow();
      // (batch, 1, 1, time): 0 at real keys, -10000 at padding.
      NDArray keyMask = mask.sub(scalar(scope, 1f)).mul(scalar(scope, 10000f)).reshape(batch, 1, 1, time);
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
        NDArray attention = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(keyMask).softmax(3);
        attention = Dropout.dropout(attention, dropout, training).singletonOrThrow();
        NDArray context = attention.matMul(v).transpose(0, 2, 1, 3).reshape(batch, time, shape.width());
        NDArray attended = Dropout.dropout(dense(context, t, block + "attention.output.dense"), dropout, training).singletonOrThrow();
        attended = adapt(attended, adapters, block + "attention.adapter");
        x = layerNorm(attended.add(x), t, block + "attention.output.LayerNorm", shape);
        NDArray inner = dense(x, t, block + "intermediate.dense").getNDArrayInternal().gelu();
        NDArray out = Dropout.dropout(dense(inner, t, block + "output.dense"), dropout, training).singletonOrThrow();
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

    /** Rows centred over the batch, then scaled to unit length (1e-6 under the root keeps a zero row finite). */
    private NDArray unitRows(NDArray x) {
      NDArray centred = x.sub(x.mean(new int[] {0}, true));
      return centred.div(centred.square().sum(new int[] {1}, true).add(scalar(scope, 1e-6f)).sqrt());
    }

    private NDArray pool(NDArray x, PoolKind kind) {
      if (kind == PoolKind.MEAN) {
        NDArray count = mask.sum(new int[] {1}).maximum(scalar(scope, 1f));
        return x.sum(new int[] {1}).div(count);
      }
      NDArray pooled = x.add(mask.sub(scalar(scope, 1f)).mul(scalar(scope, -MASKED))).max(new int[] {1});
      // A text with no tokens at all pools to zeros rather than the masking constant.
      return pooled.mul(mask.max(new int[] {1}));
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
      NDList weights = new NDList();
      NDList biases = new NDList();
      for (int width : ParameterLayout.CNN_WIDTHS) {
        NDArray weight = param(e, "conv" + width + ".weight");
        long out = weight.getShape().get(0);
        int first = before - width / 2; // this width's window starts that many positions later
        // (out, in, width) -> (out, width·in), matching the windows' position-major order.
        NDArray flat = inScope(scope, weight.transpose(0, 2, 1)).reshape(out, width * in);
        weights.add(NDArrays.concat(new NDList(scope.zeros(new Shape(out, first * in)), flat,
            scope.zeros(new Shape(out, (widest - first - width) * in))), 1));
        biases.add(param(e, "conv" + width + ".bias"));
      }
      return Linear.linear(windows, NDArrays.concat(weights, 0), inScope(scope, NDArrays.concat(biases, 0)))
          .singletonOrThrow().getNDArrayInternal().relu();
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
      int rows = lengths.length;
      int time = (int) tokens.getShape().get(1);
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
   * The rows of row-updated embedding tables that one batch reads: {@code leaves} holds, per table,
   * this step's rows as a gradient leaf, and {@code tokens} the batch's ids renumbered into them.
   */
  record EmbeddingRows(NDArray tokens, Map<String, NDArray> leaves) {}

  Pass pass(NDArray tokens, NDArray features, EmbeddingRows rows, NDArray mask, int[] lengths, boolean training, String detachAt,
      Map<String, NDArray> values) {
    return new Pass(tokens, features, rows, mask, lengths, training, detachAt, values);
  }

  /** True when the graph starts from pretrained sentence vectors rather than token ids. */
  boolean readsFeatures() {
    return graph.layers().stream().anyMatch(l -> l instanceof Layer.Features);
  }

  List<Head> heads() {
    return graph.heads();
  }
}
