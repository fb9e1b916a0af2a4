package dev.mtl.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ParameterOwner;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine-neutral parameter layout that both engines create their arrays from. */
class ParameterLayoutTest {
  private static Head head(String task, String input) {
    return new Head(task, input, new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("a", "b")), 0);
  }

  private static ModelGraph cnn() {
    return new ModelGraph(List.of(new Layer.Embedding("emb", 8, 0), new Layer.Encoder("enc", "emb", EncoderKind.CNN, 6),
        new Layer.Pool("pool", "enc", PoolKind.MAX)), List.of(head("t", "pool"), head("u", "pool")));
  }

  @Test
  @DisplayName("names and shapes follow the graph: embedding, one convolution per width, a head per task")
  void namesAndShapes() {
    ParameterLayout layout = ParameterLayout.of(cnn(), 30, 0);
    assertThat(layout.names()).containsExactly("emb.weight", "enc.conv3.weight", "enc.conv3.bias", "enc.conv4.weight", "enc.conv4.bias",
        "enc.conv5.weight", "enc.conv5.bias", "head.t.weight", "head.t.bias", "head.u.weight", "head.u.bias");
    assertThat(layout.shape("emb.weight")).containsExactly(30, 8);
    assertThat(layout.shape("enc.conv4.weight")).containsExactly(6, 8, 4);
    assertThat(layout.shape("head.u.weight")).as("three widths of 6 units each, concatenated").containsExactly(2, 18);
    assertThat(layout.trainableNames(Set.of(ParameterOwner.head("u")))).containsExactly("head.u.weight", "head.u.bias");
    assertThat(layout.trainableCount()).isEqualTo(30 * 8 + 3 * 6 + 6 * 8 * (3 + 4 + 5) + 2 * (2 * 18 + 2));
  }

  @Test
  @DisplayName("given start values replace those parameters' draws and leave every other parameter's start as it was")
  void givenStartValues() {
    ParameterLayout layout = ParameterLayout.of(cnn(), 30, 0);
    float[] bias = {-2f, 0.5f};
    Map<String, ParameterFile.Tensor> drawn = layout.initialValues(9);
    Map<String, ParameterFile.Tensor> given = layout.initialValues(9, Map.of("head.t.bias", new ParameterFile.Tensor(new long[] {2}, bias)));
    assertThat(given.keySet()).containsExactlyElementsOf(drawn.keySet());
    assertThat(given.get("head.t.bias").values()).containsExactly(bias);
    assertThat(drawn.get("head.t.bias").values()).isNotEqualTo(bias);
    drawn.forEach((name, tensor) -> {
      if (!name.equals("head.t.bias")) {
        assertThat(given.get(name).values()).as(name).containsExactly(tensor.values());
      }
    });
    assertThatThrownBy(() -> layout.initialValues(9, Map.of("head.x.bias", new ParameterFile.Tensor(new long[] {2}, bias))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no parameter 'head.x.bias'");
    assertThatThrownBy(() -> layout.initialValues(9, Map.of("head.t.bias", new ParameterFile.Tensor(new long[] {3}, new float[3]))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'head.t.bias' has shape [2], its given start [3]");
  }

  @Test
  @DisplayName("layer-wise decay: MiniLM's top layer at the full rate, each one below a factor less, embeddings 6 factors; frozen layers"
      + " and heads have none")
  void layerDecayFactors() {
    ModelGraph topTwo = new ModelGraph(List.of(new Layer.Transformer("bert", TransformerShape.MINILM_L6, 0, 2),
        new Layer.Pool("pool", "bert", PoolKind.MEAN)), List.of(head("t", "pool")));
    ModelGraph all = new ModelGraph(List.of(new Layer.Transformer("bert", TransformerShape.MINILM_L6, 0),
        new Layer.Pool("pool", "bert", PoolKind.MEAN)), List.of(head("t", "pool")));
    Map<String, Double> factors = ParameterLayout.of(all, 0, 0).learningRateFactors(0.9);
    assertThat(factors.get("bert.embeddings.word_embeddings.weight")).isCloseTo(Math.pow(0.9, 6), within(1e-15));
    assertThat(factors.get("bert.embeddings.LayerNorm.bias")).isCloseTo(Math.pow(0.9, 6), within(1e-15));
    assertThat(factors.get("bert.encoder.layer.0.attention.self.query.weight")).isCloseTo(Math.pow(0.9, 5), within(1e-15));
    assertThat(factors.get("bert.encoder.layer.5.output.LayerNorm.weight")).isEqualTo(1.0);
    assertThat(factors).doesNotContainKey("head.t.weight").hasSize(5 + 6 * 16);
    assertThat(ParameterLayout.of(topTwo, 0, 0).learningRateFactors(0.9).keySet())
        .allMatch(name -> name.startsWith("bert.encoder.layer.4.") || name.startsWith("bert.encoder.layer.5.")).hasSize(2 * 16);
    assertThat(ParameterLayout.of(all, 0, 0).learningRateFactors(1)).isEmpty();
  }

  @Test
  @DisplayName("starting values depend on the seed alone; the padding row starts at zero, convolutions and heads as PyTorch's (±1/√fan-in)")
  void initialValues() {
    ParameterLayout layout = ParameterLayout.of(cnn(), 30, 3);
    Map<String, ParameterFile.Tensor> a = layout.initialValues(7);
    Map<String, ParameterFile.Tensor> b = ParameterLayout.of(cnn(), 30, 3).initialValues(7);
    Map<String, ParameterFile.Tensor> c = layout.initialValues(8);
    a.forEach((name, tensor) -> assertThat(tensor.values()).as(name).containsExactly(b.get(name).values()));
    assertThat(a.get("emb.weight").values()).isNotEqualTo(c.get("emb.weight").values());
    float[] table = a.get("emb.weight").values();
    for (int i = 0; i < 30 * 8; i++) {
      assertThat(Math.abs(table[i])).isLessThanOrEqualTo(0.25f);
      if (i / 8 == 3) {
        assertThat(table[i]).as("padding row").isZero();
      }
    }
    int convFanIn = 8 * 3;
    assertFillsFanInBound(a.get("enc.conv3.weight").values(), convFanIn);
    assertFillsFanInBound(a.get("enc.conv3.bias").values(), convFanIn);
    int headFanIn = 3 * 6;
    assertFillsFanInBound(a.get("head.t.weight").values(), headFanIn);
    assertFillsFanInBound(a.get("head.t.bias").values(), headFanIn);
  }

  /** Every value within ±1/√fanIn and the largest near it: the bound is PyTorch's, not a narrower one. */
  private static void assertFillsFanInBound(float[] values, int fanIn) {
    double bound = 1 / Math.sqrt(fanIn);
    double largest = 0;
    for (float v : values) {
      largest = Math.max(largest, Math.abs(v));
    }
    assertThat(largest).isLessThanOrEqualTo(bound).isGreaterThan(bound * Math.max(0, 1 - 5.0 / values.length));
  }

  @Test
  @DisplayName("tables that are a base, under a penalty or frozen are never updated by rows; frozen ones do not train")
  void rowUpdatableAndFrozen() {
    ModelGraph graph = new ModelGraph(List.of(
        new Layer.Embedding("base", 4, 0),
        new Layer.Embedding("private", 4, 0, Optional.of("base")),
        new Layer.Embedding("penalised", 4, 0),
        new Layer.Embedding("frozen", 4, 0),
        new Layer.Embedding("plain", 4, 0),
        new Layer.Pool("pool", "plain", PoolKind.MEAN)),
        List.of(head("t", "pool")), List.of(new Penalty(Penalty.Kind.SQUARED_NORM, 0.1, List.of("penalised"))), Set.of("frozen"));
    ParameterLayout layout = ParameterLayout.of(graph, 10, 0);
    assertThat(layout.rowUpdatableEmbeddings()).containsExactly("plain.weight");
    assertThat(layout.trainableNames()).doesNotContain("frozen.weight").contains("plain.weight", "private.weight");
    assertThat(layout.initialValues(1).get("private.weight").values()).as("a private part starts at zero").containsOnly(0f);
  }

  @Test
  @DisplayName("saved parameters are read in layout order and checked: a missing, extra or reshaped one is named with the fix")
  void readSaved(@TempDir Path dir) throws Exception {
    ParameterLayout layout = ParameterLayout.of(cnn(), 30, 0);
    Map<String, ParameterFile.Tensor> values = layout.initialValues(1);
    Map<String, ParameterFile.Tensor> reversed = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(values.keySet());
    Collections.reverse(names);
    names.forEach(name -> reversed.put(name, values.get(name)));
    ParameterFile.write(dir.resolve(ParameterLayout.FILE), reversed);
    assertThat(layout.readSaved(dir).keySet()).containsExactlyElementsOf(layout.names());

    Map<String, ParameterFile.Tensor> missing = new LinkedHashMap<>(values);
    missing.remove("enc.conv3.weight");
    ParameterFile.write(dir.resolve(ParameterLayout.FILE), missing);
    assertThatThrownBy(() -> layout.readSaved(dir)).hasMessageContaining("lacks parameter enc.conv3.weight")
        .hasMessageContaining("retrain or restore it");

    Map<String, ParameterFile.Tensor> extra = new LinkedHashMap<>(values);
    extra.put("stray.weight", new ParameterFile.Tensor(new long[] {1}, new float[] {1}));
    ParameterFile.write(dir.resolve(ParameterLayout.FILE), extra);
    assertThatThrownBy(() -> layout.readSaved(dir)).hasMessageContaining("[stray.weight] that the model does not have");

    Map<String, ParameterFile.Tensor> reshaped = new LinkedHashMap<>(values);
    reshaped.put("emb.weight", new ParameterFile.Tensor(new long[] {40, 6}, new float[240]));
    ParameterFile.write(dir.resolve(ParameterLayout.FILE), reshaped);
    assertThatThrownBy(() -> layout.readSaved(dir)).hasMessageContaining("parameter emb.weight has shape [40, 6] but the model needs [30, 8]");
  }
}
