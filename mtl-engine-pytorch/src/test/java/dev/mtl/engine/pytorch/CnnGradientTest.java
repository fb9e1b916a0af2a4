package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.OutputSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CNN encoder's output and gradients against a plain-Java double-precision reference, at
 * channel counts that are and are not multiples of a SIMD block. libtorch 2.7.1's oneDNN
 * convolution got exactly these wrong on some AVX-512 CPUs (outputs and input gradients off
 * everywhere, NaN where it read unwritten padding), which is why the encoder is lowered to matrix
 * products; this test fails on such a CPU if the lowering goes back to the convolution kernel.
 */
class CnnGradientTest {
  private static final int VOCAB = 50;

  @ParameterizedTest(name = "{0} channels in, {1} out")
  @CsvSource({"16, 12", "100, 100", "300, 100", "7, 5"})
  @DisplayName("CNN encoder: output, input gradient and weight gradients equal the reference")
  void matchesReference(int in, int hidden) {
    ModelGraph graph = new ModelGraph(List.of(new Layer.Embedding("emb", in, 0), new Layer.Encoder("enc", "emb", EncoderKind.CNN, hidden),
        new Layer.Pool("pool", "enc", PoolKind.MAX)),
        List.of(new Head("t", "pool", new OutputSpec(2, LossKind.SOFTMAX_CROSS_ENTROPY, List.of("a", "b")), 0)));
    Random random = new Random(in * 31L + hidden);
    int[][] rows = new int[8][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = random.ints(1 + random.nextInt(12), 1, VOCAB).toArray(); // lengths 1..12: padding in most rows
    }
    TokenBatch batch = new TokenBatch(rows);
    try (NDManager manager = NDManager.newBaseManager(PyTorchEngine.ENGINE)) {
      ParameterSet parameters = ParameterSet.initial(manager, new NetworkSpec(graph, VOCAB, 0), 11);
      Lowering lowering = new Lowering(graph, parameters);
      try (NDManager scope = manager.newSubManager();
          GradientCollector collector = Engine.getEngine(PyTorchEngine.ENGINE).newGradientCollector()) {
        // The embedding output becomes a gradient leaf: the encoder's input and its gradient.
        Lowering.Pass pass = PyTorchNetwork.forward(lowering, 0, scope, batch, false, "emb");
        NDArray input = pass.representation().leaf();
        NDArray output = pass.output("enc");
        collector.backward(output.square().sum());

        int b = rows.length;
        int time = batch.maxLength();
        Reference reference = new Reference(input.toFloatArray(), b, time, in, hidden, rows);
        for (int width : ParameterLayout.CNN_WIDTHS) {
          reference.convolve(width, parameters.arrays().get("enc.conv" + width + ".weight").toFloatArray(),
              parameters.arrays().get("enc.conv" + width + ".bias").toFloatArray());
        }
        assertClose("output", output.toFloatArray(), reference.output);
        reference.backward();
        assertClose("input gradient", input.getGradient().toFloatArray(), reference.inputGradient);
        for (int width : ParameterLayout.CNN_WIDTHS) {
          assertClose("conv" + width + " weight gradient",
              parameters.arrays().get("enc.conv" + width + ".weight").getGradient().toFloatArray(), reference.weightGradient(width));
        }
      }
    }
  }

  private static void assertClose(String what, float[] actual, double[] expected) {
    assertThat(actual).as(what).hasSize(expected.length);
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i], Offset.offset(1e-4 * (1 + Math.abs(expected[i]))));
    }
  }

  /**
   * y[b, t, w·H + h] = mask[b, t] · relu(bias[h] + Σ_j Σ_c W[h, c, j] · x[b, t + j - width/2, c]) for
   * the widths w = 3, 4, 5 in order, x zero outside the text; loss Σ y².
   */
  private static final class Reference {
    final float[] x;
    final int batch;
    final int time;
    final int in;
    final int hidden;
    final int[][] rows;
    final double[] output;
    final double[] inputGradient;
    final Map<Integer, float[]> weights = new HashMap<>();
    final Map<Integer, double[]> weightGradients = new HashMap<>();
    private final int channels;

    Reference(float[] x, int batch, int time, int in, int hidden, int[][] rows) {
      this.x = x;
      this.batch = batch;
      this.time = time;
      this.in = in;
      this.hidden = hidden;
      this.rows = rows;
      this.channels = hidden * ParameterLayout.CNN_WIDTHS.size();
      this.output = new double[batch * time * channels];
      this.inputGradient = new double[x.length];
    }

    private int block(int width) {
      return ParameterLayout.CNN_WIDTHS.indexOf(width);
    }

    private double input(int b, int t, int c) {
      return t < 0 || t >= time ? 0 : x[(b * time + t) * in + c];
    }

    void convolve(int width, float[] weight, float[] bias) {
      weights.put(width, weight);
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < rows[b].length; t++) {
          for (int h = 0; h < hidden; h++) {
            double sum = bias[h];
            for (int j = 0; j < width; j++) {
              for (int c = 0; c < in; c++) {
                sum += weight[(h * in + c) * width + j] * input(b, t + j - width / 2, c);
              }
            }
            output[(b * time + t) * channels + block(width) * hidden + h] = Math.max(0, sum);
          }
        }
      }
    }

    void backward() {
      for (int width : ParameterLayout.CNN_WIDTHS) {
        float[] weight = weights.get(width);
        double[] gradient = new double[weight.length];
        for (int b = 0; b < batch; b++) {
          for (int t = 0; t < rows[b].length; t++) {
            for (int h = 0; h < hidden; h++) {
              double y = output[(b * time + t) * channels + block(width) * hidden + h];
              if (y <= 0) {
                continue; // relu passes no gradient
              }
              for (int j = 0; j < width; j++) {
                int source = t + j - width / 2;
                if (source < 0 || source >= time) {
                  continue;
                }
                for (int c = 0; c < in; c++) {
                  inputGradient[(b * time + source) * in + c] += 2 * y * weight[(h * in + c) * width + j];
                  gradient[(h * in + c) * width + j] += 2 * y * input(b, source, c);
                }
              }
            }
          }
        }
        weightGradients.put(width, gradient);
      }
    }

    double[] weightGradient(int width) {
      return weightGradients.get(width);
    }
  }
}
