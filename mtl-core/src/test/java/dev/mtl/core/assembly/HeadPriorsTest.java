package dev.mtl.core.assembly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.TaskData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Heads' biases at the training targets' average ({@code model.head-bias: prior}). */
class HeadPriorsTest {
  private static TaskData data(List<float[]> targets, float[] rowWeights) {
    return new TaskData(Collections.nCopies(targets.size(), "text"), targets, "test data", 0, rowWeights);
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Test
  @DisplayName("multi-label: each label's sigmoid starts at its smoothed frequency, (count + 1) / (rows + 2); unlabelled rows do not count")
  void multiLabel() {
    List<float[]> targets = new ArrayList<>();
    for (int row = 0; row < 10; row++) {
      targets.add(new float[] {row < 4 ? 1 : 0, 0, 1});
    }
    targets.add(TaskData.UNLABELLED);
    float[] bias = HeadPriors.bias(new OutputSpec(3, LossKind.SIGMOID_BINARY_CROSS_ENTROPY, List.of("a", "b", "c")), data(targets, null));
    assertThat(sigmoid(bias[0])).isCloseTo(5.0 / 12, within(1e-6));
    assertThat(sigmoid(bias[1])).as("never seen: rare, but finite").isCloseTo(1.0 / 12, within(1e-6));
    assertThat(sigmoid(bias[2])).isCloseTo(11.0 / 12, within(1e-6));
  }

  @Test
  @DisplayName("single-label: the softmax of the biases is the classes' smoothed frequencies, and the biases sum to 0")
  void singleLabel() {
    List<float[]> targets = new ArrayList<>();
    for (int row = 0; row < 9; row++) {
      targets.add(new float[] {row < 6 ? 0 : 1});
    }
    float[] bias = HeadPriors.bias(new OutputSpec(3, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("a", "b", "c")), data(targets, null));
    double sum = Math.exp(bias[0]) + Math.exp(bias[1]) + Math.exp(bias[2]);
    assertThat(Math.exp(bias[0]) / sum).isCloseTo(7.0 / 12, within(1e-6));
    assertThat(Math.exp(bias[1]) / sum).isCloseTo(4.0 / 12, within(1e-6));
    assertThat(Math.exp(bias[2]) / sum).isCloseTo(1.0 / 12, within(1e-6));
    assertThat(bias[0] + bias[1] + bias[2]).isCloseTo(0f, within(1e-5f));
  }

  @Test
  @DisplayName("regression: each output starts at its targets' mean, rows counted by their weights")
  void regressionWithRowWeights() {
    List<float[]> targets = List.of(new float[] {1, 10}, new float[] {3, 20}, new float[] {7, -5});
    float[] bias = HeadPriors.bias(new OutputSpec(2, LossKind.MEAN_SQUARED_ERROR, List.of("x", "y")), data(targets, new float[] {1, 1, 0.5f}));
    assertThat(bias[0]).isCloseTo((1 + 3 + 3.5f) / 2.5f, within(1e-5f));
    assertThat(bias[1]).isCloseTo((10 + 20 - 2.5f) / 2.5f, within(1e-5f));
  }

  @Test
  @DisplayName("one bias per head whose task has labelled training rows, named as the layout names it")
  void biasesByParameterName() {
    OutputSpec two = new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("a", "b"));
    ModelGraph graph = new ModelGraph(List.of(new Layer.Embedding("emb", 4, 0), new Layer.Pool("pool", "emb", PoolKind.MEAN)),
        List.of(new Head("t", "pool", two, 0), new Head("u", "pool", two, 0), new Head("v", "pool", two, 0)));
    Map<String, ParameterFile.Tensor> biases = HeadPriors.biases(graph,
        Map.of("t", data(List.of(new float[] {1}), null), "u", data(List.of(TaskData.UNLABELLED), null)));
    assertThat(biases).containsOnlyKeys("head.t.bias");
    assertThat(biases.get("head.t.bias").shape()).containsExactly(2);
    assertThat(biases.get("head.t.bias").values()[1]).isGreaterThan(biases.get("head.t.bias").values()[0]);
  }
}
