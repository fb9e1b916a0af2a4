package dev.mtl.engine.pretrained;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.engine.djl.DjlRuntime;
import dev.mtl.engine.djl.TfNatives;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A transformer sentence encoder run by DJL: an ONNX model in ONNX Runtime, a TorchScript model in
 * PyTorch or a SavedModel in TensorFlow, with a HuggingFace {@code tokenizer.json}. Texts are
 * tokenized in batches (padded to the longest, cut at {@code maxLength}), the model's token states
 * are mean-pooled over the attention mask (or its first token taken) and L2-normalised, as
 * sentence-transformers does for all-MiniLM-L6-v2. Inference only, on the CPU.
 */
final class DjlSentenceEncoder implements SentenceEncoder {
  /** The model inputs a BERT-style encoder may declare, in TorchScript's positional order. */
  static final List<String> INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");

  private final EncoderFiles files;
  private final String id;
  private final HuggingFaceTokenizer tokenizer;
  private final Model model;
  private final Predictor<NDList, NDList> predictor;
  private final List<String> inputs;
  private final int width;

  /**
   * @param files the model, its tokenizer and how to run them
   * @param digest identifies the model file's content, for {@link #id()}
   */
  DjlSentenceEncoder(EncoderFiles files, String digest) throws IOException {
    this.files = files;
    DjlRuntime.ensureOffline();
    Map<String, String> options = Map.of("maxLength", Integer.toString(files.maxLength()), "truncation", "true",
        "padding", "false", "addSpecialTokens", "true");
    this.tokenizer = HuggingFaceTokenizer.newInstance(files.tokenizer(), options);
    if (files.format().equals("tensorflow")) {
      TfNatives.ensure();
    }
    Model loaded = Model.newInstance("sentence-encoder", Device.cpu(), engineName(files.format()));
    try {
      Path location = files.model();
      if (files.format().equals("tensorflow")) {
        loaded.load(location);
      } else {
        String file = location.getFileName().toString();
        loaded.load(location.getParent(), file.substring(0, file.lastIndexOf('.') < 0 ? file.length() : file.lastIndexOf('.')));
      }
    } catch (MalformedModelException | IOException | RuntimeException e) {
      loaded.close();
      tokenizer.close();
      throw new IllegalArgumentException("cannot load the " + files.format() + " sentence encoder " + files.model() + ": "
          + e.getMessage(), e);
    }
    this.model = loaded;
    this.predictor = model.newPredictor(new NoopTranslator());
    this.inputs = declaredInputs(model, files.format());
    this.width = encode(List.of("width probe"))[0].length;
    this.id = files.name() + "@" + digest + ";pooling=" + files.pooling() + ";normalize=" + files.normalize() + ";max-length="
        + files.maxLength();
  }

  private static String engineName(String format) {
    return switch (format) {
      case "onnx" -> "OnnxRuntime";
      case "torchscript" -> "PyTorch";
      default -> "TensorFlow";
    };
  }

  /** The inputs the model declares (ONNX, SavedModel), or all three in order for TorchScript. */
  private static List<String> declaredInputs(Model model, String format) {
    PairList<String, Shape> described = model.describeInput();
    if (format.equals("torchscript") || described == null || described.isEmpty()) {
      return INPUTS;
    }
    List<String> names = described.keys();
    for (String name : names) {
      if (!INPUTS.contains(name)) {
        throw new IllegalArgumentException("sentence encoder " + model.getModelPath() + " takes an input '" + name
            + "'; mtl feeds BERT-style inputs " + INPUTS + " from the tokenizer");
      }
    }
    return names;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int width() {
    return width;
  }

  /**
   * Encodes one text per model call. Quantised models scale activations by the whole input
   * tensor, so in a padded batch a text's vector depends on its batch-mates (cosine 0.99 measured);
   * alone it is the same in training, evaluation and serving, and without padding it is faster too
   * (345 against 285 texts/s for GoEmotions comments on 2 cores).
   */
  @Override
  public synchronized float[][] encode(List<String> texts) {
    float[][] out = new float[texts.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = encode(texts.get(i));
    }
    return out;
  }

  private float[] encode(String text) {
    Encoding encoding = tokenizer.encode(text);
    long[][] byInput = {encoding.getIds(), encoding.getAttentionMask(), encoding.getTypeIds()};
    int time = byInput[0].length;
    float[] mask = new float[time];
    for (int t = 0; t < time; t++) {
      mask[t] = byInput[1][t];
    }
    try (NDManager scope = model.getNDManager().newSubManager()) {
      NDList in = new NDList();
      for (String name : inputs) {
        NDArray array = scope.create(byInput[INPUTS.indexOf(name)], new Shape(1, time));
        array.setName(name);
        in.add(array);
      }
      NDArray states = predictor.predict(in).get(0);
      states.attach(scope);
      return pool(states, mask);
    } catch (TranslateException e) {
      throw new IllegalStateException("sentence encoder " + files.model() + " failed on the text '" + abbreviate(text) + "': "
          + e.getMessage(), e);
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  /** One text's token states {@code (1, time, width)} to its vector; a {@code (1, width)} output is already pooled. */
  private float[] pool(NDArray states, float[] mask) {
    float[] values = states.toType(DataType.FLOAT32, false).toFloatArray();
    Shape shape = states.getShape();
    int width = (int) shape.get(shape.dimension() - 1);
    float[] vector = new float[width];
    if (shape.dimension() == 2 || files.pooling().equals("cls")) {
      System.arraycopy(values, 0, vector, 0, width); // the pooled output, or the first token's state
    } else {
      float count = 0;
      for (int t = 0; t < mask.length; t++) {
        if (mask[t] > 0) {
          count += mask[t];
          for (int j = 0; j < width; j++) {
            vector[j] += values[t * width + j] * mask[t];
          }
        }
      }
      for (int j = 0; j < width; j++) {
        vector[j] /= Math.max(count, 1e-9f);
      }
    }
    if (files.normalize()) {
      double norm = 0;
      for (float v : vector) {
        norm += (double) v * v;
      }
      float scale = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
      for (int j = 0; j < width; j++) {
        vector[j] *= scale;
      }
    }
    return vector;
  }

  @Override
  public Map<String, Object> settings() {
    return files.settings();
  }

  /** The built-in model is named, not copied; a model of the user's own goes into {@code pretrained-encoder/}. */
  @Override
  public Map<String, Object> saveTo(Path modelDirectory) throws IOException {
    Map<String, Object> out = settings();
    if (files.builtIn()) {
      return out;
    }
    Path folder = Files.createDirectories(modelDirectory.resolve("pretrained-encoder"));
    Path model = folder.resolve(files.model().getFileName().toString());
    try (Stream<Path> tree = Files.walk(files.model())) {
      for (Path source : (Iterable<Path>) tree::iterator) {
        Path target = model.resolve(files.model().relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
    Path tokenizer = folder.resolve("tokenizer-" + files.tokenizer().getFileName());
    Files.copy(files.tokenizer(), tokenizer);
    out.put("model", modelDirectory.relativize(model).toString());
    out.put("tokenizer", modelDirectory.relativize(tokenizer).toString());
    return out;
  }

  @Override
  public void close() {
    predictor.close();
    model.close();
    tokenizer.close();
  }

  /**
   * What the encoder runs: the model file (a folder for a SavedModel), the tokenizer, the format
   * and how token states become one vector.
   *
   * @param name the built-in model's name, or the model file's
   * @param builtIn true for the model mtl ships (settings then name it instead of a path)
   */
  record EncoderFiles(String name, boolean builtIn, Path model, Path tokenizer, String format, String pooling,
      boolean normalize, int maxLength) {
    static final Set<String> FORMATS = Set.of("onnx", "torchscript", "tensorflow");

    Map<String, Object> settings() {
      Map<String, Object> out = new LinkedHashMap<>();
      if (builtIn) {
        out.put("model", name);
      } else {
        out.put("model", model.toAbsolutePath().toString());
        out.put("tokenizer", tokenizer.toAbsolutePath().toString());
        out.put("format", format);
      }
      out.put("pooling", pooling);
      out.put("normalize", normalize);
      out.put("max-length", maxLength);
      return out;
    }
  }
}
