package dev.mtl.engine.pretrained;

import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.model.TransformerShape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weights of a BERT-family encoder exported to ONNX (as HuggingFace's and sentence-transformers'
 * exporters write them), under HuggingFace BertModel's parameter names, ready for a {@link
 * dev.mtl.core.model.Layer.Transformer}. Reads the file's protobuf directly (no ONNX library): the
 * graph's float initializers, and its nodes to name the weights the exporter left anonymous (a
 * {@code MatMul} by {@code onnx::MatMul_812} whose result gets {@code
 * encoder.layer.0.attention.self.query.bias} added is that layer's query weight). ONNX MatMul weights
 * are {@code (in, out)}; they are transposed to PyTorch's {@code (out, in)}.
 */
public final class OnnxBertWeights {
  private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

  private final Path file;
  private final Map<String, ParameterFile.Tensor> tensors;

  private OnnxBertWeights(Path file, Map<String, ParameterFile.Tensor> tensors) {
    this.file = file;
    this.tensors = tensors;
  }

  /**
   * Reads {@code file}.
   *
   * @throws IOException if it cannot be read, is not an ONNX model, keeps its weights in external
   *     files, or holds no BERT embeddings
   */
  public static OnnxBertWeights read(Path file) throws IOException {
    ByteBuffer bytes;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()).order(ByteOrder.LITTLE_ENDIAN);
    }
    Map<String, ParameterFile.Tensor> initializers = new HashMap<>();
    List<Node> nodes = new ArrayList<>();
    try {
      ByteBuffer graph = null;
      Wire model = new Wire(bytes);
      while (model.next()) {
        if (model.field == 7) {
          graph = model.bytes();
        } else {
          model.skip();
        }
      }
      if (graph == null) {
        throw new IOException(file + " is not an ONNX model (no graph); point the encoder at a model.onnx file");
      }
      Wire g = new Wire(graph);
      while (g.next()) {
        if (g.field == 1) {
          nodes.add(Node.parse(g.bytes()));
        } else if (g.field == 5) {
          readInitializer(file, g.bytes(), initializers);
        } else {
          g.skip();
        }
      }
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a readable ONNX model (" + e + "); point the encoder at a model.onnx file", e);
    }
    Map<String, ParameterFile.Tensor> named = new TreeMap<>();
    initializers.forEach((name, tensor) -> {
      String bert = bertName(name);
      // Biases, layer norms and embedding tables keep their layout; matrices come with their MatMul below.
      boolean matrix = bert != null && bert.endsWith(".weight") && tensor.shape().length == 2 && !isEmbedding(bert);
      if (bert != null && !matrix) {
        named.put(bert, tensor);
      }
    });
    // Weights used as a MatMul's right operand: named by the bias added to the product, or by their own name.
    Map<String, List<Node>> consumers = new HashMap<>();
    for (Node node : nodes) {
      for (String input : node.inputs) {
        consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
      }
    }
    for (Node node : nodes) {
      if (!node.op.equals("MatMul") || node.inputs.size() != 2 || !initializers.containsKey(node.inputs.get(1))) {
        continue;
      }
      ParameterFile.Tensor weight = initializers.get(node.inputs.get(1));
      String name = bertName(node.inputs.get(1));
      if (name == null || !name.endsWith(".weight")) {
        name = null;
        for (Node next : consumers.getOrDefault(node.outputs.get(0), List.of())) {
          if (next.op.equals("Add")) {
            for (String input : next.inputs) {
              String bias = bertName(input);
              if (initializers.containsKey(input) && bias != null && bias.endsWith(".bias")) {
                name = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
              }
            }
          }
        }
      }
      if (name != null && weight.shape().length == 2) {
        named.put(name, transpose(weight));
      }
    }
    if (!named.containsKey("embeddings.word_embeddings.weight")) {
      throw new IOException(file + " holds no BERT token embedding (embeddings.word_embeddings.weight); mtl's transformer"
          + " reads BERT-family encoders exported by HuggingFace or sentence-transformers");
    }
    return new OnnxBertWeights(file, named);
  }

  /** The weights by BertModel name, without any layer prefix. */
  public Map<String, ParameterFile.Tensor> tensors() {
    return tensors;
  }

  /** The sizes the weights imply, with {@code heads} (weights do not tell it) and BERT's layer-norm epsilon. */
  public TransformerShape shape(int heads) throws IOException {
    long[] words = require("embeddings.word_embeddings.weight").shape();
    TreeSet<Integer> layers = new TreeSet<>();
    for (String name : tensors.keySet()) {
      Matcher m = LAYER.matcher(name);
      if (m.find()) {
        layers.add(Integer.parseInt(m.group(1)));
      }
    }
    int intermediate = layers.isEmpty() ? 1 : (int) require("encoder.layer.0.intermediate.dense.weight").shape()[0];
    try {
      return new TransformerShape((int) words[0], (int) words[1], layers.size(), heads, intermediate,
          (int) require("embeddings.position_embeddings.weight").shape()[0],
          (int) require("embeddings.token_type_embeddings.weight").shape()[0], 1e-12);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private ParameterFile.Tensor require(String name) throws IOException {
    ParameterFile.Tensor tensor = tensors.get(name);
    if (tensor == null) {
      throw new IOException(file + " lacks the BERT weight " + name + " (it holds " + tensors.keySet() + ")");
    }
    return tensor;
  }

  private static boolean isEmbedding(String bert) {
    return bert.startsWith("embeddings.") && bert.endsWith("_embeddings.weight");
  }

  /** An initializer's name as BertModel names it ("bert." prefixes dropped), or null if it is not one of its weights. */
  private static String bertName(String name) {
    String n = name.startsWith("bert.") ? name.substring("bert.".length()) : name;
    return n.startsWith("embeddings.") || n.startsWith("encoder.layer.") ? n : null;
  }

  private static ParameterFile.Tensor transpose(ParameterFile.Tensor t) {
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    float[] out = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = t.values()[r * cols + c];
      }
    }
    return new ParameterFile.Tensor(new long[] {cols, rows}, out);
  }

  /** A float initializer (TensorProto: dims 1, data_type 2, float_data 4, name 8, raw_data 9, data_location 14). */
  private static void readInitializer(Path file, ByteBuffer message, Map<String, ParameterFile.Tensor> out) throws IOException {
    List<Long> dims = new ArrayList<>();
    long type = 0;
    String name = null;
    ByteBuffer raw = null;
    ByteBuffer floats = null;
    boolean external = false;
    Wire t = new Wire(message);
    while (t.next()) {
      switch (t.field) {
        case 1 -> {
          if (t.type == 2) {
            Wire packed = new Wire(t.bytes());
            while (packed.hasMore()) {
              dims.add(packed.varint());
            }
          } else {
            dims.add(t.varint());
          }
        }
        case 2 -> type = t.varint();
        case 4 -> floats = t.bytes();
        case 8 -> name = t.string();
        case 9 -> raw = t.bytes();
        case 14 -> external = t.varint() == 1;
        default -> t.skip();
      }
    }
    if (type != 1) {
      return; // not float: position ids and other integer constants
    }
    if (external) {
      throw new IOException(file + " keeps initializer " + name + " in an external data file; export the model with its"
          + " weights inside the .onnx file");
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    ByteBuffer data = raw != null ? raw : floats;
    float[] values = new float[Math.toIntExact(count)];
    if (data != null && data.remaining() == values.length * 4L) {
      data.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    } else if (values.length > 0) {
      throw new IOException(file + ": initializer " + name + " holds " + (data == null ? 0 : data.remaining()) + " bytes for "
          + values.length + " floats");
    }
    out.put(name, new ParameterFile.Tensor(shape, values));
  }

  /** A graph node: its op and the names of its inputs and outputs (NodeProto: input 1, output 2, op_type 4). */
  private record Node(String op, List<String> inputs, List<String> outputs) {
    static Node parse(ByteBuffer message) {
      List<String> inputs = new ArrayList<>();
      List<String> outputs = new ArrayList<>();
      String op = "";
      Wire n = new Wire(message);
      while (n.next()) {
        switch (n.field) {
          case 1 -> inputs.add(n.string());
          case 2 -> outputs.add(n.string());
          case 4 -> op = n.string();
          default -> n.skip();
        }
      }
      return new Node(op, inputs, outputs);
    }
  }

  /** Protocol-buffer wire format: a field's number and type, then its value. */
  private static final class Wire {
    private final ByteBuffer buffer;
    int field;
    int type;

    Wire(ByteBuffer buffer) {
      this.buffer = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean hasMore() {
      return buffer.hasRemaining();
    }

    boolean next() {
      if (!buffer.hasRemaining()) {
        return false;
      }
      long key = varint();
      field = (int) (key >>> 3);
      type = (int) (key & 7);
      return true;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buffer.get();
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IllegalStateException("malformed varint");
    }

    ByteBuffer bytes() {
      int length = Math.toIntExact(varint());
      ByteBuffer out = buffer.slice().limit(length);
      buffer.position(buffer.position() + length);
      return out;
    }

    String string() {
      ByteBuffer b = bytes();
      byte[] chars = new byte[b.remaining()];
      b.get(chars);
      return new String(chars, StandardCharsets.UTF_8);
    }

    void skip() {
      switch (type) {
        case 0 -> varint();
        case 1 -> buffer.position(buffer.position() + 8);
        case 2 -> bytes();
        case 5 -> buffer.position(buffer.position() + 4);
        default -> throw new IllegalStateException("unsupported wire type " + type);
      }
    }
  }
}
