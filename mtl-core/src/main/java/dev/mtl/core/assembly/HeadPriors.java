package dev.mtl.core.assembly;

import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import dev.mtl.core.task.TaskData;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Heads' biases that start each head at its training targets' average ({@code model.head-bias:
 * prior}), so that a new network's first predictions are the label frequencies rather than coin
 * flips, and the first steps go to telling texts apart rather than to learning how rare each label
 * is (Karpathy's "init well"; the focal-loss paper's prior, Lin et al., ICCV 2017). It matters most
 * for rare labels of multi-label tasks, whose logits must reach -4 or below, and for pretrained
 * encoders trained at small learning rates, under which a bias moves slowly.
 *
 * <ul>
 *   <li>sigmoid (multi-label): each label's log-odds, {@code log(p / (1 - p))};
 *   <li>softmax (single-label): each class's log-frequency, centred to mean 0 (softmax ignores a shift);
 *   <li>regression: each output's mean target.
 * </ul>
 *
 * Frequencies are smoothed by one pseudo-count per outcome ({@code p = (count + 1) / (rows + 2)} for
 * a label, {@code (count + 1) / (rows + classes)} for a class), so a label never seen in training
 * starts at a finite bias. Rows count with their row weights; unlabelled rows are left out.
 */
public final class HeadPriors {
  private HeadPriors() {}

  /** The bias of every head of {@code graph} whose task has labelled rows in {@code train}, by parameter name. */
  public static Map<String, ParameterFile.Tensor> biases(ModelGraph graph, Map<String, TaskData> train) {
    Map<String, ParameterFile.Tensor> out = new LinkedHashMap<>();
    for (Head head : graph.heads()) {
      TaskData data = train.get(head.task());
      if (data == null || data.labelledCount() == 0) {
        continue;
      }
      float[] bias = bias(head.output(), data);
      out.put(ParameterLayout.headPrefix(head.task()) + "bias", new ParameterFile.Tensor(new long[] {bias.length}, bias));
    }
    return out;
  }

  /** The bias that puts a head with these outputs at the average of {@code data}'s labelled targets. */
  static float[] bias(OutputSpec output, TaskData data) {
    int size = output.size();
    double[] sums = new double[size];
    double rows = 0;
    for (int row = 0; row < data.size(); row++) {
      float[] target = data.targets().get(row);
      if (!TaskData.isLabelled(target)) {
        continue;
      }
      double weight = data.rowWeights() == null ? 1 : data.rowWeights()[row];
      rows += weight;
      if (output.loss() == LossKind.SOFTMAX_CROSS_ENTROPY) {
        sums[(int) target[0]] += weight;
      } else {
        for (int i = 0; i < size; i++) {
          sums[i] += weight * target[i];
        }
      }
    }
    float[] bias = new float[size];
    switch (output.loss()) {
      case SIGMOID_BINARY_CROSS_ENTROPY -> {
        for (int i = 0; i < size; i++) {
          double p = (sums[i] + 1) / (rows + 2);
          bias[i] = (float) Math.log(p / (1 - p));
        }
      }
      case SOFTMAX_CROSS_ENTROPY -> {
        double[] logs = new double[size];
        double mean = 0;
        for (int i = 0; i < size; i++) {
          logs[i] = Math.log((sums[i] + 1) / (rows + size));
          mean += logs[i] / size;
        }
        for (int i = 0; i < size; i++) {
          bias[i] = (float) (logs[i] - mean);
        }
      }
      case MEAN_SQUARED_ERROR, HUBER -> {
        for (int i = 0; i < size; i++) {
          bias[i] = rows == 0 ? 0 : (float) (sums[i] / rows);
        }
      }
    }
    return bias;
  }
}
