package dev.mtl.core.engine;

import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ParameterOwner;
import dev.mtl.core.model.TransformerShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Every parameter a {@link ModelGraph} needs, worked out once and engine-neutrally: its name (e.g.
 * {@code shared.encoder.conv3.weight}), shape, owner, whether it trains, and its starting values
 * from a seeded Java generator, so that the same seed starts every engine at the same point and a
 * model saved by one engine loads in another. Engines create their own arrays from it.
 */
public final class ParameterLayout {
  /** The file, in a model or checkpoint folder, that holds the parameters: safetensors, which Python tools read. */
  public static final String FILE = "parameters.safetensors";
  /** Where models saved before safetensors hold their parameters (mtl's own {@link ParameterFile} layout); still read. */
  public static final String LEGACY_FILE = "parameters.bin";
  /** The file, in a checkpoint folder, that holds the optimizer's state. */
  public static final String OPTIMIZER_FILE = "optimizer.bin";
  /** A token embedding starts uniform in [-EMBEDDING_LIMIT, EMBEDDING_LIMIT]. */
  public static final double EMBEDDING_LIMIT = 0.25;
  /** Root-mean-square value of a token embedding's random start. */
  public static final double EMBEDDING_RMS = EMBEDDING_LIMIT / Math.sqrt(3);
  /** Window widths of a CNN encoder's convolutions, one weight per width. */
  public static final List<Integer> CNN_WIDTHS = List.of(3, 4, 5);
  /** Standard deviation of a transformer weight's random start, BERT's. */
  public static final double TRANSFORMER_INIT_STD = 0.02;

  /** How a parameter starts: uniform in [-limit, limit], zero, or given values. */
  private record Spec(String name, long[] shape, ParameterOwner owner, boolean trainable, double limit, int zeroRow, float[] given) {}

  private final ModelGraph graph;
  private final Map<String, Spec> specs = new LinkedHashMap<>();
  /** A transformer parameter's depth below its top layer: 0 in the top layer, its layer count in the embeddings. */
  private final Map<String, Integer> transformerDepth = new HashMap<>();

  private ParameterLayout(ModelGraph graph) {
    this.graph = graph;
  }

  /** The prefix of a task's head parameters: its {@code weight} ({@code outputs x inputs}) and {@code bias}. */
  public static String headPrefix(String task) {
    return "head." + task + ".";
  }

  /** The layout of {@code graph} with an embedding of {@code vocabularySize} rows, {@code paddingId} the padding row. */
  public static ParameterLayout of(ModelGraph graph, int vocabularySize, int paddingId) {
    ParameterLayout layout = new ParameterLayout(graph);
    Set<String> units = new HashSet<>();
    for (Layer layer : graph.layers()) {
      if (layer instanceof Layer.Mix mix) {
        if (units.add(mix.unit())) {
          layout.addMixingUnit(mix, !graph.frozen().contains(mix.unit()));
        }
      } else {
        layout.addLayer(layer, !graph.frozen().contains(layer.id()), vocabularySize, paddingId);
      }
    }
    for (Head head : graph.heads()) {
      int in = graph.outputSize(head.input());
      int out = head.output().size();
      ParameterOwner owner = ParameterOwner.head(head.task());
      layout.linear(headPrefix(head.task()), owner, true, in, out);
    }
    for (AuxiliaryLoss loss : graph.auxiliaryLosses()) {
      if (loss instanceof AuxiliaryLoss.TaskDiscriminator d) {
        int in = graph.outputSize(d.inputId());
        int out = graph.heads().size();
        ParameterOwner owner = ParameterOwner.auxiliary(d.id());
        layout.linear(d.id() + ".", owner, true, in, out);
      }
    }
    return layout;
  }

  private void addLayer(Layer layer, boolean trainable, int vocabularySize, int paddingId) {
    String p = layer.id() + ".";
    ParameterOwner owner = ParameterOwner.layer(layer.id());
    // A layer with a base holds only its private part, which starts at zero: θ = θ_base + θ_own.
    boolean delta = layer.base().isPresent();
    if (layer instanceof Layer.Embedding e) {
      if (delta) {
        zeros(p + "weight", owner, trainable, vocabularySize, e.size());
      } else {
        // The padding row starts at zero; its positions are masked, so it never matters.
        add(new Spec(p + "weight", new long[] {vocabularySize, e.size()}, owner, trainable, EMBEDDING_LIMIT, paddingId, null));
      }
    } else if (layer instanceof Layer.Encoder e) {
      int in = graph.outputSize(e.inputId());
      int h = e.hiddenSize();
      if (e.kind() == EncoderKind.CNN) {
        for (int width : CNN_WIDTHS) {
          String conv = p + "conv" + width + ".";
          if (delta) {
            zeros(conv + "weight", owner, trainable, h, in, width);
            zeros(conv + "bias", owner, trainable, h);
          } else {
            fanInUniform(conv + "weight", owner, trainable, (long) in * width, h, in, width);
            fanInUniform(conv + "bias", owner, trainable, (long) in * width, h);
          }
        }
      } else if (e.kind() == EncoderKind.BILSTM) {
        double limit = 1 / Math.sqrt(h);
        for (String direction : new String[] {"forward", "backward"}) {
          for (String part : new String[] {"w_ih", "w_hh", "b_ih", "b_hh"}) {
            long[] shape = switch (part) {
              case "w_ih" -> new long[] {4L * h, in};
              case "w_hh" -> new long[] {4L * h, h};
              default -> new long[] {4L * h};
            };
            String name = p + direction + "." + part;
            if (delta) {
              zeros(name, owner, trainable, shape);
            } else {
              add(new Spec(name, shape, owner, trainable, limit, -1, null));
            }
          }
        }
      }
    } else if (layer instanceof Layer.Transformer t) {
      addTransformer(p, owner, trainable, t);
    } else if (layer instanceof Layer.AdaptedTransformer a) {
      addAdapters(p, owner, trainable, a);
    } else if (layer instanceof Layer.TaskAttention a) {
      int width = graph.outputSize(a.inputId());
      int in = width + a.contextId().map(graph::outputSize).orElse(0);
      linear(p, owner, trainable, in, width);
    } else if (layer instanceof Layer.Gate g) {
      int in = graph.outputSize(g.gateInputId());
      int logits = g.logits();
      linear(p, owner, trainable, in, logits);
    }
  }

  /**
   * A transformer's parameters under HuggingFace BertModel's names. Weights start as BERT's do
   * (mean 0, standard deviation 0.02, here uniform), biases at zero, layer norms at the identity;
   * pretrained weights usually replace them all.
   */
  private void addTransformer(String p, ParameterOwner owner, boolean layerTrains, Layer.Transformer t) {
    TransformerShape shape = t.shape();
    double limit = TRANSFORMER_INIT_STD * Math.sqrt(3);
    int w = shape.width();
    boolean trainable = layerTrains && t.trainsEmbeddings();
    add(new Spec(p + "embeddings.word_embeddings.weight", new long[] {shape.vocabularySize(), w}, owner, trainable, limit, -1, null));
    add(new Spec(p + "embeddings.position_embeddings.weight", new long[] {shape.maxPositions(), w}, owner, trainable, limit, -1, null));
    add(new Spec(p + "embeddings.token_type_embeddings.weight", new long[] {shape.typeVocabularySize(), w}, owner, trainable, limit, -1,
        null));
    layerNorm(p + "embeddings.LayerNorm", owner, trainable, w);
    setDepth(p + "embeddings.", shape.layers());
    for (int l = 0; l < shape.layers(); l++) {
      trainable = layerTrains && t.trains(l);
      String block = p + "encoder.layer." + l + ".";
      for (String part : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
        dense(block + part, owner, trainable, w, w, limit);
      }
      layerNorm(block + "attention.output.LayerNorm", owner, trainable, w);
      dense(block + "intermediate.dense", owner, trainable, w, shape.intermediateSize(), limit);
      dense(block + "output.dense", owner, trainable, shape.intermediateSize(), w, limit);
      layerNorm(block + "output.LayerNorm", owner, trainable, w);
      setDepth(block, shape.layers() - 1 - l);
    }
  }

  /**
   * Two bottleneck adapters per block of the adapted transformer: down-projections start as BERT's
   * weights, up-projections and biases at zero (a fresh adapter is the identity).
   */
  private void addAdapters(String p, ParameterOwner owner, boolean trainable, Layer.AdaptedTransformer a) {
    TransformerShape shape = ((Layer.Transformer) graph.layer(a.transformerId())).shape();
    for (int l = 0; l < shape.layers(); l++) {
      String block = p + "encoder.layer." + l + ".";
      for (String site : List.of("attention.adapter.", "output.adapter.")) {
        dense(block + site + "down", owner, trainable, shape.width(), a.adapterSize(), TRANSFORMER_INIT_STD * Math.sqrt(3));
        zeros(block + site + "up.weight", owner, trainable, shape.width(), a.adapterSize());
        zeros(block + site + "up.bias", owner, trainable, shape.width());
      }
      setDepth(block, shape.layers() - 1 - l);
    }
  }

  /** Records {@code depth} (see {@link #learningRateFactors}) for every parameter named so far under {@code prefix}. */
  private void setDepth(String prefix, int depth) {
    specs.keySet().stream().filter(name -> name.startsWith(prefix)).forEach(name -> transformerDepth.put(name, depth));
  }

  private void dense(String name, ParameterOwner owner, boolean trainable, int in, int out, double limit) {
    add(new Spec(name + ".weight", new long[] {out, in}, owner, trainable, limit, -1, null));
    zeros(name + ".bias", owner, trainable, out);
  }

  private void layerNorm(String name, ParameterOwner owner, boolean trainable, int width) {
    float[] ones = new float[width];
    Arrays.fill(ones, 1f);
    add(new Spec(name + ".weight", new long[] {width}, owner, trainable, 0, -1, ones));
    zeros(name + ".bias", owner, trainable, width);
  }

  /**
   * A cross-stitch unit's mixing matrix: {@code selfWeight} on the diagonal, the rest shared evenly;
   * a branching unit's logits: all zero (every parent equally likely).
   */
  private void addMixingUnit(Layer.Mix mix, boolean trainable) {
    int t = mix.inputIds().size();
    float[] alpha = new float[t * t];
    float other = t == 1 ? 0f : (float) ((1 - mix.selfWeight()) / (t - 1));
    for (int i = 0; i < t && mix.branching().isEmpty(); i++) {
      for (int j = 0; j < t; j++) {
        alpha[i * t + j] = i == j ? (float) mix.selfWeight() : other;
      }
    }
    add(new Spec(mix.unit() + ".alpha", new long[] {t, t}, ParameterOwner.unit(mix.unit()), trainable, 0, -1, alpha));
  }

  /** A dense layer's {@code prefix}weight ({@code out x in}) and {@code prefix}bias, both {@link #fanInUniform}. */
  private void linear(String prefix, ParameterOwner owner, boolean trainable, int in, int out) {
    fanInUniform(prefix + "weight", owner, trainable, in, out, in);
    fanInUniform(prefix + "bias", owner, trainable, in, out);
  }

  /**
   * Uniform in ±1/√fanIn: PyTorch's default start for nn.Linear and nn.Conv1d weights and biases, so
   * a model starts where a PyTorch user's script of it would. Measured against Glorot-uniform weights
   * with zero biases in docs/sharing.md ("PyTorch's starting values, landed").
   */
  private void fanInUniform(String name, ParameterOwner owner, boolean trainable, long fanIn, long... shape) {
    add(new Spec(name, shape, owner, trainable, 1 / Math.sqrt(fanIn), -1, null));
  }

  private void zeros(String name, ParameterOwner owner, boolean trainable, long... shape) {
    add(new Spec(name, shape, owner, trainable, 0, -1, new float[Math.toIntExact(size(shape))]));
  }

  private void add(Spec spec) {
    if (specs.putIfAbsent(spec.name(), spec) != null) {
      throw new IllegalStateException("parameter '" + spec.name() + "' created twice");
    }
  }

  /** Every parameter's name, in creation order (the order of files and of random draws). */
  public Set<String> names() {
    return specs.keySet();
  }

  public long[] shape(String name) {
    return specs.get(name).shape().clone();
  }

  /** Names of the parameters that are trained (not frozen), in creation order. */
  public Set<String> trainableNames() {
    Set<String> out = new LinkedHashSet<>();
    specs.values().stream().filter(Spec::trainable).forEach(s -> out.add(s.name()));
    return out;
  }

  /** The trainable parameters' names of {@code owners}, in creation order. */
  public List<String> trainableNames(Set<ParameterOwner> owners) {
    return specs.values().stream().filter(s -> s.trainable() && owners.contains(s.owner())).map(Spec::name).toList();
  }

  /** Number of trainable scalars. */
  public long trainableCount() {
    return specs.values().stream().filter(Spec::trainable).mapToLong(s -> size(s.shape())).sum();
  }

  /**
   * Per trained parameter, the factor on its learning rate under layer-wise decay {@code
   * layerDecay} (see {@link OptimizerSettings#layerDecay()}): {@code layerDecay^depth} with depth 0
   * in a transformer's top layer (and its adapters there), one more per layer below, and the layer
   * count in its embeddings; parameters outside transformers, and every parameter when {@code layerDecay} is 1,
   * are left out (factor 1).
   */
  public Map<String, Double> learningRateFactors(double layerDecay) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (layerDecay != 1) {
      specs.values().stream().filter(s -> s.trainable() && transformerDepth.containsKey(s.name()))
          .forEach(s -> out.put(s.name(), Math.pow(layerDecay, transformerDepth.get(s.name()))));
    }
    return out;
  }

  /**
   * Trained embedding tables that a step can update row by row: those whose value is their own (no
   * base), that no other layer uses as a base and that no penalty reads, so their gradient only
   * ever comes from the lookup of the batch's tokens.
   */
  public Set<String> rowUpdatableEmbeddings() {
    Set<String> bases = new HashSet<>();
    graph.layers().forEach(layer -> layer.base().ifPresent(bases::add));
    graph.penalties().forEach(penalty -> bases.addAll(penalty.layerIds()));
    Set<String> out = new LinkedHashSet<>();
    for (Layer layer : graph.layers()) {
      Spec table = specs.get(layer.id() + ".weight");
      if (layer instanceof Layer.Embedding && layer.base().isEmpty() && !bases.contains(layer.id()) && table.trainable()) {
        out.add(table.name());
      }
    }
    return out;
  }

  /**
   * Starting values of every parameter, in creation order: uniform draws from one generator seeded
   * with {@code seed} (taken in that order, so the same seed gives the same start on any engine),
   * zeros, or given values.
   */
  public Map<String, ParameterFile.Tensor> initialValues(long seed) {
    return initialValues(seed, Map.of());
  }

  /**
   * {@link #initialValues(long)} with {@code given} in place of those parameters' starts. Their
   * draws are taken all the same, so every other parameter starts as it would without them.
   *
   * @throws IllegalArgumentException if a given tensor names no parameter or has another shape
   */
  public Map<String, ParameterFile.Tensor> initialValues(long seed, Map<String, ParameterFile.Tensor> given) {
    checkGivenStart(given);
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, ParameterFile.Tensor> out = new LinkedHashMap<>();
    for (Spec spec : specs.values()) {
      float[] values = spec.given();
      if (values == null) {
        values = new float[Math.toIntExact(size(spec.shape()))];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) ((random.nextDouble() * 2 - 1) * spec.limit());
        }
        if (spec.zeroRow() >= 0) {
          int width = Math.toIntExact(spec.shape()[1]);
          Arrays.fill(values, spec.zeroRow() * width, (spec.zeroRow() + 1) * width, 0f);
        }
      } else {
        values = values.clone();
      }
      ParameterFile.Tensor start = given.get(spec.name());
      out.put(spec.name(), new ParameterFile.Tensor(spec.shape().clone(), start == null ? values : start.values().clone()));
    }
    return out;
  }

  /**
   * Checks that each given tensor names a parameter of this layout and has its shape, before a
   * network starts from them ({@link #initialValues(long, Map)}, an engine's {@code setParameters}).
   *
   * @throws IllegalArgumentException naming the parameter, and its shape or the parameters there are
   */
  public void checkGivenStart(Map<String, ParameterFile.Tensor> given) {
    given.forEach((name, tensor) -> {
      Spec spec = specs.get(name);
      if (spec == null) {
        throw new IllegalArgumentException("no parameter '" + name + "' to start at given values; the parameters are " + specs.keySet());
      }
      if (!Arrays.equals(spec.shape(), tensor.shape())) {
        throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(spec.shape())
            + ", its given start " + Arrays.toString(tensor.shape()));
      }
    });
  }

  /** The parameter file in {@code directory}: {@link #FILE}, or {@link #LEGACY_FILE} in a folder saved before it. */
  public static Path savedFile(Path directory) {
    Path file = directory.resolve(FILE);
    Path legacy = directory.resolve(LEGACY_FILE);
    return !Files.exists(file) && Files.exists(legacy) ? legacy : file;
  }

  /**
   * The parameters saved in {@code directory}, in creation order, checked against this layout: the
   * same names, and each of the shape the model needs.
   *
   * @throws IOException if the file is missing or damaged, or does not match the model
   */
  public Map<String, ParameterFile.Tensor> readSaved(Path directory) throws IOException {
    Path file = savedFile(directory);
    Map<String, ParameterFile.Tensor> saved = ParameterFile.read(file);
    if (!saved.keySet().equals(specs.keySet())) {
      List<String> missing = new ArrayList<>(specs.keySet());
      missing.removeAll(saved.keySet());
      List<String> extra = new ArrayList<>(saved.keySet());
      extra.removeAll(specs.keySet());
      String problem = missing.isEmpty()
          ? " holds parameters " + extra + " that the model does not have"
          : " lacks parameter " + String.join(", ", missing) + " (it holds " + saved.keySet() + ")";
      throw new IOException(file + problem + ". The model directory does not match its manifest; retrain or restore it.");
    }
    Map<String, ParameterFile.Tensor> ordered = new LinkedHashMap<>();
    for (Spec spec : specs.values()) {
      ParameterFile.Tensor value = saved.get(spec.name());
      if (!Arrays.equals(value.shape(), spec.shape())) {
        throw new IOException(file + ": parameter " + spec.name() + " has shape " + Arrays.toString(value.shape())
            + " but the model needs " + Arrays.toString(spec.shape())
            + ". The model directory does not match its manifest; retrain or restore it.");
      }
      ordered.put(spec.name(), value);
    }
    return ordered;
  }

  private static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
