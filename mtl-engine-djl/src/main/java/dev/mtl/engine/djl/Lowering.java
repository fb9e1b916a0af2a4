package dev.mtl.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers each kind of {@link Layer} and {@link Head} to PyTorch operations on named parameters.
 * Sequences are {@code (batch, time, width)} and are zero at padding positions.
 */
final class Lowering {
  static final int[] CNN_WIDTHS = {3, 4, 5};
  /** Added to padding positions before max-pooling so they never win. */
  private static final float MASKED = -1e4f;

  private final ModelGraph graph;
  private final ParameterSet parameters;

  Lowering(ModelGraph graph, ParameterSet parameters, int vocabularySize, int paddingId) {
    this.graph = graph;
    this.parameters = parameters;
    for (Layer layer : graph.layers()) {
      createParameters(layer, vocabularySize, paddingId);
    }
    for (Head head : graph.heads()) {
      int in = graph.outputSize(head.input());
      int out = head.output().size();
      parameters.xavier(headPrefix(head) + "weight", in, out, out, in);
      parameters.zeros(headPrefix(head) + "bias", out);
    }
  }

  private static String headPrefix(Head head) {
    return "head." + head.task() + ".";
  }

  private void createParameters(Layer layer, int vocabularySize, int paddingId) {
    String p = layer.id() + ".";
    if (layer instanceof Layer.Embedding e) {
      // The padding row starts at zero; its positions are masked, so it never matters.
      parameters.embedding(p + "weight", 0.25, vocabularySize, e.size(), paddingId);
    } else if (layer instanceof Layer.Encoder e) {
      int in = graph.outputSize(e.inputId());
      int h = e.hiddenSize();
      if (e.kind() == EncoderKind.CNN) {
        for (int width : CNN_WIDTHS) {
          parameters.xavier(p + "conv" + width + ".weight", (long) in * width, (long) h * width, h, in, width);
          parameters.zeros(p + "conv" + width + ".bias", h);
        }
      } else if (e.kind() == EncoderKind.BILSTM) {
        double limit = 1 / Math.sqrt(h);
        for (String direction : new String[] {"forward", "backward"}) {
          parameters.uniform(p + direction + ".w_ih", limit, 4L * h, in);
          parameters.uniform(p + direction + ".w_hh", limit, 4L * h, h);
          parameters.uniform(p + direction + ".b_ih", limit, 4L * h);
          parameters.uniform(p + direction + ".b_hh", limit, 4L * h);
        }
      }
    }
  }

  /** One forward pass over a batch: layer outputs computed on demand and kept for the heads. */
  final class Pass {
    private final NDArray tokens;
    private final NDArray mask;
    private final int[] lengths;
    private final boolean training;
    private final Map<String, NDArray> outputs = new HashMap<>();

    /**
     * @param tokens {@code (batch, time)} int64 ids
     * @param mask {@code (batch, time, 1)} float, 1 at real tokens
     * @param lengths real tokens per row
     */
    Pass(NDArray tokens, NDArray mask, int[] lengths, boolean training) {
      this.tokens = tokens;
      this.mask = mask;
      this.lengths = lengths;
      this.training = training;
    }

    NDArray output(String layerId) {
      NDArray cached = outputs.get(layerId);
      if (cached == null) {
        cached = compute(graph.layer(layerId));
        outputs.put(layerId, cached);
      }
      return cached;
    }

    /** Replaces a layer's output, e.g. with a detached copy whose gradient is measured. */
    void override(String layerId, NDArray value) {
      outputs.put(layerId, value);
    }

    /** A head's logits, {@code (batch, outputs)}. */
    NDArray logits(Head head) {
      NDArray x = Dropout.dropout(output(head.input()), (float) head.dropout(), training).singletonOrThrow();
      Map<String, NDArray> w = parameters.arrays();
      return Linear.linear(x, w.get(headPrefix(head) + "weight"), w.get(headPrefix(head) + "bias")).singletonOrThrow();
    }

    private NDArray compute(Layer layer) {
      Map<String, NDArray> w = parameters.arrays();
      String p = layer.id() + ".";
      if (layer instanceof Layer.Embedding e) {
        NDArray x = Embedding.embedding(tokens, w.get(p + "weight"), ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
        x = Dropout.dropout(x, (float) e.dropout(), training).singletonOrThrow();
        return x.mul(mask);
      }
      if (layer instanceof Layer.Encoder e) {
        NDArray x = output(e.inputId());
        return switch (e.kind()) {
          case MEAN -> x;
          case CNN -> cnn(x, p).mul(mask);
          case BILSTM -> bilstm(x, p, e.hiddenSize()).mul(mask);
        };
      }
      Layer.Pool pool = (Layer.Pool) layer;
      NDArray x = output(pool.inputId());
      if (pool.kind() == PoolKind.MEAN) {
        NDArray count = mask.sum(new int[] {1}).maximum(1f);
        return x.sum(new int[] {1}).div(count);
      }
      NDArray pooled = x.add(mask.sub(1f).mul(-MASKED)).max(new int[] {1});
      // A text with no tokens at all pools to zeros rather than the masking constant.
      return pooled.mul(mask.max(new int[] {1}));
    }

    private NDArray cnn(NDArray x, String p) {
      Map<String, NDArray> w = parameters.arrays();
      long time = x.getShape().get(1);
      NDArray channelsFirst = x.transpose(0, 2, 1);
      NDList maps = new NDList();
      for (int width : CNN_WIDTHS) {
        NDArray y = Conv1d.conv1d(channelsFirst, w.get(p + "conv" + width + ".weight"), w.get(p + "conv" + width + ".bias"),
            new Shape(1), new Shape(width / 2), new Shape(1)).singletonOrThrow();
        // Even widths yield one extra position; keep 'same' length so layers can stack.
        maps.add(y.get(":, :, :" + time).getNDArrayInternal().relu());
      }
      return NDArrays.concat(maps, 1).transpose(0, 2, 1);
    }

    /**
     * Two LSTMs: one reads each text forwards, the other reads each text's real tokens backwards
     * (padding stays at the end), so padding never reaches either direction's states.
     */
    private NDArray bilstm(NDArray x, String p, int hidden) {
      NDArray forward = lstm(x, p + "forward.", hidden);
      NDArray backward = lstm(x.gather(reverseIndex(x.getShape().get(2)), 1), p + "backward.", hidden);
      return NDArrays.concat(new NDList(forward, backward.gather(reverseIndex(hidden), 1)), 2);
    }

    private NDArray lstm(NDArray x, String p, int hidden) {
      Map<String, NDArray> w = parameters.arrays();
      long batch = x.getShape().get(0);
      NDArray zeros = x.getManager().zeros(new Shape(1, batch, hidden));
      NDList params = new NDList(w.get(p + "w_ih"), w.get(p + "w_hh"), w.get(p + "b_ih"), w.get(p + "b_hh"));
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
      return tokens.getManager().create(index, new Shape(rows, time, 1)).repeat(2, width);
    }
  }

  Pass pass(NDArray tokens, NDArray mask, int[] lengths, boolean training) {
    return new Pass(tokens, mask, lengths, training);
  }

  List<Head> heads() {
    return graph.heads();
  }

  static NDArray int64(ai.djl.ndarray.NDManager manager, long[] values, Shape shape) {
    return manager.create(values, shape).toType(DataType.INT64, false);
  }
}
