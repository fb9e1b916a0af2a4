package dev.mtl.engine.tensorflow;

import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.task.LossKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Lowers each kind of {@link Layer}, {@link Head}, {@link Penalty} and {@link AuxiliaryLoss} to TensorFlow graph
 * operations, the same computation as the PyTorch lowering ({@code dev.mtl.engine.djl.Lowering}) on
 * parameters of the same names and shapes. Sequences are {@code (batch, time, width)} and zero at
 * padding. The graph is built once per kind of step; sessions run it many times.
 */
final class TfLowering {
  /** Added to padding positions before max-pooling so they never win. */
  private static final float MASKED = -1e4f;

  private final Ops tf;
  private final ModelGraph graph;
  /** Each parameter's value as the graph reads it, by name. */
  private final Map<String, Operand<TFloat32>> parameters;
  private final Map<String, Layer> layers = new HashMap<>();
  private final long paddingId;

  TfLowering(Ops tf, ModelGraph graph, Map<String, Operand<TFloat32>> parameters, long paddingId) {
    this.tf = tf;
    this.graph = graph;
    this.parameters = parameters;
    this.paddingId = paddingId;
    graph.layers().forEach(layer -> layers.put(layer.id(), layer));
  }

  /** What of this graph TensorFlow cannot run yet (a phrase that follows "the engine"), or null if it runs all of it. */
  static String unsupported(ModelGraph graph) {
    for (Layer layer : graph.layers()) {
      if (layer instanceof Layer.Encoder e && e.kind() == EncoderKind.BILSTM) {
        return "cannot run the bilstm encoder (layer '" + e.id() + "') yet: TF Java has no gradient for TensorFlow's LSTM "
            + "kernels. Use encoder cnn or mean, or engine djl-pytorch, which runs every encoder";
      }
      if (layer instanceof Layer.Transformer || layer instanceof Layer.AdaptedTransformer) {
        return "cannot run a transformer encoder (layer '" + layer.id() + "') yet: only the PyTorch engine lowers it."
            + " Use engine djl-pytorch";
      }
      if (layer instanceof Layer.Mix mix && mix.branching().isPresent()) {
        return "cannot sample Learning to Branch's parent choices (layer '" + mix.id() + "') yet: its step program has no"
            + " Gumbel noise or step-dependent temperature. Use engine djl-pytorch";
      }
      if (layer instanceof Layer.Features) {
        return "cannot start from a pretrained sentence encoder (model.pretrained-encoder) yet: its training graph and"
            + " SavedModel take token ids only. Use engine djl-pytorch with the pretrained encoder";
      }
    }
    return null;
  }

  /** One forward pass over a batch of token ids: layer outputs computed on demand and kept for the heads. */
  final class Pass {
    private final Operand<TInt64> tokens;
    private final Operand<TFloat32> mask;
    /** Null for a pass without dropout (prediction). */
    private final Operand<TInt64> seed;
    private final Map<String, Operand<TFloat32>> outputs = new HashMap<>();
    private final Map<String, Operand<TFloat32>> logits = new HashMap<>();
    private int dropoutSites;

    /**
     * @param tokens {@code (batch, time)} ids, padded with the padding id
     * @param seed {@code [2]} seed of this pass's dropout masks, or null for no dropout
     */
    Pass(Operand<TInt64> tokens, Operand<TInt64> seed) {
      this.tokens = tokens;
      this.seed = seed;
      this.mask = tf.expandDims(tf.dtypes.cast(tf.math.notEqual(tokens, tf.constant(paddingId)), TFloat32.class), tf.constant(2));
    }

    Operand<TFloat32> output(String layerId) {
      Operand<TFloat32> cached = outputs.get(layerId);
      if (cached == null) {
        cached = compute(layers.get(layerId));
        outputs.put(layerId, cached);
      }
      return cached;
    }

    /** A head's logits, {@code (batch, outputs)}. */
    Operand<TFloat32> logits(Head head) {
      Operand<TFloat32> cached = logits.get(head.task());
      if (cached == null) {
        Operand<TFloat32> x = dropout(output(head.input()), head.dropout());
        cached = linear(x, parameters.get(headPrefix(head) + "weight"), parameters.get(headPrefix(head) + "bias"));
        logits.put(head.task(), cached);
      }
      return cached;
    }

    /** A head's scores after its loss's activation. */
    Operand<TFloat32> scores(Head head) {
      return activation(head.output().loss(), logits(head));
    }

    private Operand<TFloat32> param(Layer layer, String suffix) {
      Operand<TFloat32> own = parameters.get(layer.id() + "." + suffix);
      if (layer.base().isEmpty()) {
        return own;
      }
      return tf.math.add(own, param(layers.get(layer.base().get()), suffix));
    }

    private Operand<TFloat32> dropout(Operand<TFloat32> x, double rate) {
      if (seed == null || rate <= 0) {
        return x;
      }
      // Stateless: the same seed draws the same mask, so a step's two runs (losses, then update) agree.
      Operand<TInt64> site = tf.math.add(seed, tf.constant(new long[] {0, 7919L * ++dropoutSites}));
      Operand<TFloat32> uniform = tf.random.statelessRandomUniform(tf.shape(x), site, TFloat32.class);
      float keep = (float) (1 - rate);
      Operand<TFloat32> kept = tf.math.floor(tf.math.add(uniform, tf.constant(keep)));
      return tf.math.mul(x, tf.math.mul(kept, tf.constant(1 / keep)));
    }

    private Operand<TFloat32> compute(Layer layer) {
      if (layer instanceof Layer.Embedding e) {
        Operand<TFloat32> x = tf.gather(param(e, "weight"), tokens, tf.constant(0));
        return tf.math.mul(dropout(x, e.dropout()), mask);
      }
      if (layer instanceof Layer.Encoder e) {
        Operand<TFloat32> x = output(e.inputId());
        return switch (e.kind()) {
          case MEAN -> x;
          case CNN -> tf.math.mul(cnn(x, e), mask);
          case BILSTM -> throw new IllegalArgumentException(unsupported(graph));
        };
      }
      if (layer instanceof Layer.Pool pool) {
        return pool(output(pool.inputId()), pool.kind());
      }
      if (layer instanceof Layer.Mix mix) {
        Operand<TFloat32> alpha = tf.reshape(parameters.get(mix.unit() + ".alpha"), tf.constant(new int[] {-1}));
        int t = mix.inputIds().size();
        Operand<TFloat32> sum = null;
        for (int j = 0; j < t; j++) {
          Operand<TFloat32> weight = tf.gather(alpha, tf.constant(mix.row() * t + j), tf.constant(0));
          Operand<TFloat32> term = tf.math.mul(output(mix.inputIds().get(j)), weight);
          sum = sum == null ? term : tf.math.add(sum, term);
        }
        return sum;
      }
      if (layer instanceof Layer.Concat concat) {
        List<Operand<TFloat32>> parts = new ArrayList<>();
        concat.inputIds().forEach(id -> parts.add(output(id)));
        return tf.concat(parts, tf.constant(1));
      }
      if (layer instanceof Layer.GradientReversal reversal) {
        // sg + (x - sg)·(-scale): exactly x going forward, -scale times the gradient going back.
        Operand<TFloat32> x = output(reversal.inputId());
        Operand<TFloat32> held = tf.stopGradient(x);
        return tf.math.add(held, tf.math.mul(tf.math.sub(x, held), tf.constant((float) -reversal.scale())));
      }
      if (layer instanceof Layer.TaskAttention attention) {
        Operand<TFloat32> x = output(attention.inputId());
        Operand<TFloat32> both = attention.contextId().isEmpty() ? x
            : tf.concat(List.of(x, output(attention.contextId().get())), tf.constant(2));
        // (batch, time, in) → (batch · time, in) for the matrix product, then back to (batch, time, width).
        int in = graph.outputSize(attention.inputId()) + attention.contextId().map(graph::outputSize).orElse(0);
        int width = graph.outputSize(attention.inputId());
        Operand<TFloat32> flat = tf.reshape(both, tf.constant(new int[] {-1, in}));
        Operand<TFloat32> logits = linear(flat, param(attention, "weight"), param(attention, "bias"));
        Operand<TInt32> shape = tf.concat(List.of(tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {2})),
            tf.constant(new int[] {width})), tf.constant(0));
        return tf.math.mul(tf.math.sigmoid(tf.reshape(logits, shape)), x);
      }
      if (layer instanceof Layer.Gate gate) {
        Operand<TFloat32> logits = linear(output(gate.gateInputId()), param(gate, "weight"), param(gate, "bias"));
        Operand<TFloat32> weights = gate.sparse().isEmpty() ? tf.nn.softmax(logits) : dselect(logits, gate);
        List<Operand<TFloat32>> experts = new ArrayList<>();
        gate.expertIds().forEach(id -> experts.add(output(id)));
        Operand<TFloat32> stacked = tf.stack(experts, Stack.axis(1L));
        // (batch, experts) → (batch, experts, 1[, 1]): one weight per text for every position and feature.
        Operand<TFloat32> perExpert = tf.expandDims(weights, tf.constant(2));
        if (graph.isSequence(gate.expertIds().get(0))) {
          perExpert = tf.expandDims(perExpert, tf.constant(3));
        }
        return tf.reduceSum(tf.math.mul(stacked, perExpert), tf.constant(1));
      }
      Layer.LabelFeed feed = (Layer.LabelFeed) layer;
      Operand<TFloat32> x = output(feed.inputId());
      Operand<TFloat32> scores = scores(graph.head(feed.task()));
      // (batch, labels) -> (batch, time, labels): every position gets the text's label distribution.
      Operand<TFloat32> perPosition = tf.math.mul(tf.expandDims(scores, tf.constant(1)), mask);
      return tf.math.mul(tf.concat(List.of(x, perPosition), tf.constant(2)), mask);
    }

    /**
     * The auxiliary losses' weighted sum on this pass's batch, or null when none applies to it (the
     * PyTorch lowering's {@code auxiliaryLoss}).
     *
     * @param tasks the tasks labelled in this batch
     */
    Operand<TFloat32> auxiliaryLoss(List<String> tasks) {
      Operand<TFloat32> total = null;
      for (AuxiliaryLoss loss : graph.auxiliaryLosses()) {
        Operand<TFloat32> value = null;
        if (loss instanceof AuxiliaryLoss.TaskDiscriminator d && tasks.size() == 1) {
          int source = graph.heads().indexOf(graph.head(tasks.get(0)));
          Operand<TFloat32> logits = linear(output(d.inputId()), parameters.get(d.id() + ".weight"), parameters.get(d.id() + ".bias"));
          Operand<TFloat32> own = tf.gather(tf.nn.logSoftmax(logits), tf.constant(source), tf.constant(1));
          value = tf.math.neg(tf.math.mean(own, tf.constant(0)));
        } else if (loss instanceof AuxiliaryLoss.Orthogonality o) {
          for (AuxiliaryLoss.Pair pair : o.pairs()) {
            if (tasks.contains(pair.task())) {
              Operand<TFloat32> product = tf.linalg.matMul(unitRows(output(pair.privateId())), unitRows(output(pair.sharedId())),
                  MatMul.transposeA(true));
              Operand<TFloat32> term = tf.math.mean(tf.math.square(product), tf.constant(new int[] {0, 1}));
              value = value == null ? term : tf.math.add(value, term);
            }
          }
        }
        if (value != null) {
          value = tf.math.mul(value, tf.constant((float) loss.weight()));
          total = total == null ? value : tf.math.add(total, value);
        }
      }
      return total;
    }

    /** Rows centred over the batch, then scaled to unit length (1e-6 under the root keeps a zero row finite). */
    private Operand<TFloat32> unitRows(Operand<TFloat32> x) {
      Operand<TFloat32> centred = tf.math.sub(x, tf.math.mean(x, tf.constant(0), Mean.keepDims(true)));
      Operand<TFloat32> squares = tf.reduceSum(tf.math.square(centred), tf.constant(1), ReduceSum.keepDims(true));
      return tf.math.div(centred, tf.math.sqrt(tf.math.add(squares, tf.constant(1e-6f))));
    }

    private Operand<TFloat32> pool(Operand<TFloat32> x, PoolKind kind) {
      if (kind == PoolKind.MEAN) {
        Operand<TFloat32> count = tf.math.maximum(tf.reduceSum(mask, tf.constant(1)), tf.constant(1f));
        return tf.math.div(tf.reduceSum(x, tf.constant(1)), count);
      }
      Operand<TFloat32> masked = tf.math.add(x, tf.math.mul(tf.math.sub(mask, tf.constant(1f)), tf.constant(-MASKED)));
      // A text with no tokens at all pools to zeros rather than the masking constant.
      return tf.math.mul(tf.reduceMax(masked, tf.constant(1)), tf.reduceMax(mask, tf.constant(1)));
    }

    /**
     * Convolutions of widths 3, 4, 5 with 'same' output length: PyTorch's lowering pads width/2 on
     * both sides and keeps the first T positions, which is padding width/2 before and
     * width - 1 - width/2 after. Weights are stored as PyTorch's {@code (out, in, width)}.
     */
    /** DSelect-k's expert weights {@code (batch, experts)} from the gate's logits (the PyTorch lowering's {@code dselect}). */
    private Operand<TFloat32> dselect(Operand<TFloat32> logits, Layer.Gate gate) {
      Layer.DSelect d = gate.sparse().orElseThrow();
      int n = gate.expertIds().size();
      int m = Layer.DSelect.bits(n);
      int k = d.selectors();
      float g = (float) d.gamma();
      Operand<TFloat32> codes = tf.slice(logits, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, k * m}));
      Operand<TFloat32> t = tf.reshape(tf.clipByValue(codes, tf.constant(-g / 2), tf.constant(g / 2)), tf.constant(new int[] {-1, k, 1, m}));
      Operand<TFloat32> cube = tf.math.mul(tf.math.mul(t, t), t);
      Operand<TFloat32> s = tf.math.add(tf.math.add(tf.math.mul(cube, tf.constant(-2f / (g * g * g))),
          tf.math.mul(t, tf.constant(3f / (2 * g)))), tf.constant(0.5f));
      Operand<TFloat32> bits = tf.reshape(tf.constant(Layer.DSelect.codes(n)), tf.constant(new int[] {1, 1, n, m}));
      Operand<TFloat32> oneMinusS = tf.math.sub(tf.constant(1f), s);
      Operand<TFloat32> perBit = tf.math.add(oneMinusS, tf.math.mul(bits, tf.math.sub(tf.math.mul(s, tf.constant(2f)), tf.constant(1f))));
      Operand<TFloat32> perSelector = null;
      for (int j = 0; j < m; j++) {
        Operand<TFloat32> bit = tf.squeeze(tf.slice(perBit, tf.constant(new int[] {0, 0, 0, j}), tf.constant(new int[] {-1, -1, -1, 1})),
            Squeeze.axis(List.of(3L)));
        perSelector = perSelector == null ? bit : tf.math.mul(perSelector, bit);
      }
      Operand<TFloat32> mix = tf.reshape(tf.nn.softmax(tf.slice(logits, tf.constant(new int[] {0, k * m}), tf.constant(new int[] {-1, k}))),
          tf.constant(new int[] {-1, k, 1}));
      return tf.reduceSum(tf.math.mul(perSelector, mix), tf.constant(1));
    }

    private Operand<TFloat32> cnn(Operand<TFloat32> x, Layer.Encoder e) {
      Operand<TFloat32> image = tf.expandDims(x, tf.constant(1)); // (batch, 1, time, in)
      List<Operand<TFloat32>> maps = new ArrayList<>();
      for (int width : ParameterLayout.CNN_WIDTHS) {
        Operand<TFloat32> padded = tf.pad(image, tf.constant(new int[][] {{0, 0}, {0, 0}, {width / 2, width - 1 - width / 2}, {0, 0}}),
            tf.constant(0f));
        // (out, in, width) -> (1, width, in, out)
        Operand<TFloat32> filter = tf.expandDims(tf.linalg.transpose(param(e, "conv" + width + ".weight"), tf.constant(new int[] {2, 1,
            0})),
            tf.constant(0));
        Operand<TFloat32> y = tf.nn.conv2d(padded, filter, List.of(1L, 1L, 1L, 1L), "VALID");
        maps.add(tf.nn.relu(tf.nn.biasAdd(y, param(e, "conv" + width + ".bias"))));
      }
      return tf.squeeze(tf.concat(maps, tf.constant(3)), Squeeze.axis(List.of(1L)));
    }
  }

  /** {@code x · Wᵀ + b} with PyTorch's {@code (out, in)} weight layout. */
  private Operand<TFloat32> linear(Operand<TFloat32> x, Operand<TFloat32> weight, Operand<TFloat32> bias) {
    return tf.nn.biasAdd(tf.linalg.matMul(x, weight, MatMul.transposeB(true)), bias);
  }

  private static String headPrefix(Head head) {
    return ParameterLayout.headPrefix(head.task());
  }

  /** The scores a loss's activation makes of logits: probabilities, or the values themselves. */
  Operand<TFloat32> activation(LossKind loss, Operand<TFloat32> logits) {
    return switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> tf.nn.softmax(logits);
      case SIGMOID_BINARY_CROSS_ENTROPY -> tf.math.sigmoid(logits);
      case MEAN_SQUARED_ERROR, HUBER -> logits;
    };
  }

  /**
   * Mean loss of a head over the labelled rows: {@code targets} is {@code (batch, outputs)} (one-hot
   * for softmax), {@code labelled} is 0 for rows without a label and the row's weight (1 unless
   * pseudo-labelled) for the others; the sum of weighted row losses is divided by the labelled rows.
   */
  Operand<TFloat32> loss(Head head, Operand<TFloat32> logits, Operand<TFloat32> targets, Operand<TFloat32> labelled) {
    Operand<TInt32> lastAxis = tf.constant(1);
    Operand<TFloat32> perRow = switch (head.output().loss()) {
      // log-softmax and one-hot: TF Java has no gradient for the fused sparse cross-entropy.
      case SOFTMAX_CROSS_ENTROPY -> tf.math.neg(tf.reduceSum(tf.math.mul(tf.nn.logSoftmax(logits), targets), lastAxis));
      // Numerically stable BCE with logits: max(x,0) - x*y + log(1 + exp(-|x|)).
      case SIGMOID_BINARY_CROSS_ENTROPY -> tf.math.mean(tf.math.add(tf.math.sub(tf.math.maximum(logits, tf.constant(0f)),
          tf.math.mul(logits, targets)), tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(logits))))), lastAxis);
      case MEAN_SQUARED_ERROR -> tf.math.mean(tf.math.square(tf.math.sub(logits, targets)), lastAxis);
      case HUBER -> {
        Operand<TFloat32> abs = tf.math.abs(tf.math.sub(logits, targets));
        Operand<TFloat32> quadratic = tf.math.minimum(abs, tf.constant(1f));
        yield tf.math.mean(tf.math.add(tf.math.mul(tf.math.square(quadratic), tf.constant(0.5f)), tf.math.sub(abs, quadratic)), lastAxis);
      }
    };
    Operand<TInt32> all = tf.constant(0);
    Operand<TFloat32> labelledCount = tf.reduceSum(tf.dtypes.cast(tf.math.greater(labelled, tf.constant(0f)), TFloat32.class), all);
    return tf.math.div(tf.reduceSum(tf.math.mul(perRow, labelled), all), tf.math.maximum(labelledCount, tf.constant(1f)));
  }

  /** The penalties' weighted sum over the parameters, or null if the graph has none (pairs by name suffix). */
  Operand<TFloat32> penalty() {
    Operand<TFloat32> total = null;
    for (Penalty penalty : graph.penalties()) {
      Map<String, List<Operand<TFloat32>>> bySuffix = new LinkedHashMap<>();
      for (String layerId : penalty.layerIds()) {
        String prefix = layerId + ".";
        parameters.forEach((name, value) -> {
          if (name.startsWith(prefix)) {
            bySuffix.computeIfAbsent(name.substring(prefix.length()), k -> new ArrayList<>()).add(value);
          }
        });
      }
      for (List<Operand<TFloat32>> group : bySuffix.values()) {
        Operand<TFloat32> value = tf.math.mul(measure(penalty.kind(), group), tf.constant((float) penalty.lambda()));
        total = total == null ? value : tf.math.add(total, value);
      }
    }
    return total;
  }

  private Operand<TFloat32> measure(Penalty.Kind kind, List<Operand<TFloat32>> group) {
    Operand<TFloat32> sum = tf.constant(0f);
    switch (kind) {
      case PAIRWISE_DISTANCE -> {
        for (int i = 0; i < group.size(); i++) {
          for (int j = i + 1; j < group.size(); j++) {
            sum = tf.math.add(sum, squaredNorm(tf.math.sub(group.get(i), group.get(j))));
          }
        }
      }
      case DISTANCE_TO_MEAN -> {
        Operand<TFloat32> mean = tf.math.mean(tf.stack(group), tf.constant(0));
        for (Operand<TFloat32> p : group) {
          sum = tf.math.add(sum, squaredNorm(tf.math.sub(p, mean)));
        }
      }
      case SQUARED_NORM -> {
        for (Operand<TFloat32> p : group) {
          sum = tf.math.add(sum, squaredNorm(p));
        }
      }
    }
    return sum;
  }

  /** Σ x² over every element. */
  Operand<TFloat32> squaredNorm(Operand<TFloat32> x) {
    return tf.reduceSum(tf.math.square(tf.reshape(x, tf.constant(new int[] {-1}))), tf.constant(0));
  }

  Pass pass(Operand<TInt64> tokens, Operand<TInt64> seed) {
    return new Pass(tokens, seed);
  }
}
