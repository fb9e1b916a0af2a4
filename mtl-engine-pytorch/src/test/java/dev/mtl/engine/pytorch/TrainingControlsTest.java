package dev.mtl.engine.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.NonFiniteException;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.testkit.SyntheticTasks;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Learning rate, L2 weight decay, gradient clipping and the non-finite guard, seen in the parameters. */
class TrainingControlsTest {
  private static final ModelGraph GRAPH = SyntheticTasks.graph(EncoderKind.CNN, 0);

  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());
  @TempDir Path dir;

  private Map<String, ParameterFile.Tensor> parameters(Network network, String name) throws Exception {
    return savedParameters(network, dir.resolve(name));
  }

  /** The network's parameters as saving writes them, saved to {@code directory}. */
  static Map<String, ParameterFile.Tensor> savedParameters(Network network, Path directory) throws Exception {
    Files.createDirectories(directory);
    network.save(directory);
    return ParameterFile.read(directory.resolve(ParameterLayout.FILE));
  }

  /** Every parameter's change in one SGD step on the same batch, flattened in name order. */
  private Map<String, float[]> oneStep(OptimizerSettings settings, double rate, String name) throws Exception {
    try (Network network = engine.create(new NetworkSpec(GRAPH, 20, 0), settings, 3)) {
      Map<String, ParameterFile.Tensor> before = parameters(network, name + "-before");
      network.trainStep(new TrainStep(List.of(SyntheticTasks.batch(new Random(2), 16)), TestWeightings.equal(), 0, 0, rate,
          GradientNeed.LOSSES_ONLY));
      return change(before, parameters(network, name + "-after"));
    }
  }

  /** Each parameter's {@code after - before}, by name in {@code before}'s order. */
  static Map<String, float[]> change(Map<String, ParameterFile.Tensor> before, Map<String, ParameterFile.Tensor> after) {
    Map<String, float[]> delta = new LinkedHashMap<>();
    before.forEach((key, tensor) -> {
      float[] d = new float[tensor.values().length];
      for (int i = 0; i < d.length; i++) {
        d[i] = after.get(key).values()[i] - tensor.values()[i];
      }
      delta.put(key, d);
    });
    return delta;
  }

  private static double norm(Map<String, float[]> delta) {
    double sum = 0;
    for (float[] d : delta.values()) {
      for (float x : d) {
        sum += (double) x * x;
      }
    }
    return Math.sqrt(sum);
  }

  @Test
  @DisplayName("the learning rate set before a step scales the SGD update; clipping caps its global norm")
  void rateAndClipping() throws Exception {
    Map<String, float[]> plain = oneStep(new OptimizerSettings("sgd", 1.0), 1.0, "plain");
    Map<String, float[]> half = oneStep(new OptimizerSettings("sgd", 1.0), 0.5, "half");
    double gradientNorm = norm(plain);
    assertThat(gradientNorm).isGreaterThan(0.05);
    assertThat(norm(half)).isCloseTo(gradientNorm / 2, within(1e-4 * gradientNorm));
    double cap = gradientNorm / 10;
    Map<String, float[]> clipped = oneStep(new OptimizerSettings("sgd", 1.0, 0, cap, 0, "none", 0), 1.0, "clipped");
    assertThat(norm(clipped)).isCloseTo(cap, within(1e-4 * cap));
    // Same direction: every coordinate scaled by one factor.
    float[] p = plain.get("enc.conv3.weight");
    float[] c = clipped.get("enc.conv3.weight");
    for (int i = 0; i < p.length; i += 17) {
      assertThat((double) c[i]).isCloseTo(p[i] / 10.0, within(1e-6 + 1e-4 * Math.abs(p[i])));
    }
  }

  @Test
  @DisplayName("L2 weight decay adds decay · θ to each gradient")
  void weightDecay() throws Exception {
    Map<String, float[]> plain = oneStep(new OptimizerSettings("sgd", 0.1), 0.1, "nodecay");
    Map<String, float[]> decayed = oneStep(new OptimizerSettings("sgd", 0.1, 0.5, 0, 0, "none", 0), 0.1, "decay");
    // Δ_decay − Δ_plain = −lr · decay · θ
    assertDecayedBy(plain, decayed, 0.1 * 0.5, "head.has5.weight");
  }

  @Test
  @DisplayName("AdamW's decoupled decay moves each weight matrix by rate · decay · θ beside Adam's step, and leaves biases alone")
  void decoupledWeightDecay() throws Exception {
    Map<String, float[]> plain = oneStep(new OptimizerSettings("adam", 0.01), 0.01, "adam");
    Map<String, float[]> decayed = oneStep(new OptimizerSettings("adamw", 0.01, 0.5, 0, 0, "none", 0), 0.01, "adamw");
    // Adam's own step (its moments) is the same in both.
    assertDecayedBy(plain, decayed, 0.01 * 0.5, "head.has5.weight");
    assertThat(decayed.get("head.has5.bias")).containsExactly(plain.get("head.has5.bias"));
  }

  /** The decayed step of {@code name} is the plain one less {@code scale · θ} at the (seeded) start, for a θ far from 0. */
  private void assertDecayedBy(Map<String, float[]> plain, Map<String, float[]> decayed, double scale, String name) throws Exception {
    float[] theta;
    try (Network network = engine.create(new NetworkSpec(GRAPH, 20, 0), new OptimizerSettings("sgd", 0.1), 3)) {
      theta = parameters(network, "initial-" + scale).get(name).values();
    }
    assertThat(maxAbs(theta)).isGreaterThan(0.05);
    for (int i = 0; i < theta.length; i++) {
      assertThat((double) decayed.get(name)[i] - plain.get(name)[i]).as("%s[%d]", name, i).isCloseTo(-scale * theta[i], within(1e-6));
    }
  }

  private static double maxAbs(float[] values) {
    double max = 0;
    for (float v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  @Test
  @DisplayName("a NaN loss stops the step naming the task and step, before any parameter changes")
  void nonFiniteLoss() throws Exception {
    try (Network network = engine.create(new NetworkSpec(GRAPH, 20, 0), new OptimizerSettings("adam", 0.01), 3)) {
      SourceBatch good = SyntheticTasks.batch(new Random(4), 8);
      Map<String, float[][]> targets = new HashMap<>(good.targets());
      float[][] broken = targets.get("share8").clone();
      broken[3] = new float[] {Float.NaN};
      targets.put("share8", broken);
      SourceBatch bad = new SourceBatch(good.tokens(), targets);
      Map<String, ParameterFile.Tensor> before = parameters(network, "before");
      assertThatThrownBy(() -> network.trainStep(new TrainStep(List.of(bad), TestWeightings.equal(), 7, 0, 0.01, GradientNeed.LOSSES_ONLY)))
          .isInstanceOf(NonFiniteException.class).hasMessage("task 'share8' has the loss NaN at step 7");
      Map<String, ParameterFile.Tensor> after = parameters(network, "after");
      before.forEach((key, tensor) -> assertThat(after.get(key).values()).as(key).containsExactly(tensor.values()));
      // The network trains on after a refused step.
      assertThat(network.trainStep(new TrainStep(List.of(good), TestWeightings.equal(), 8, 0, 0.01, GradientNeed.LOSSES_ONLY)).totalLoss())
          .isFinite();
    }
  }

  @Test
  @DisplayName("rows without a task's label are masked: the same loss and update as training on only the labelled rows")
  void partialLabelsMasked() throws Exception {
    SourceBatch full = SyntheticTasks.batch(new Random(6), 16);
    float[][] has67 = full.targets().get("has67").clone();
    List<Integer> labelled = new ArrayList<>();
    for (int i = 0; i < has67.length; i++) {
      if (i % 3 == 1) {
        has67[i] = TaskData.UNLABELLED;
      } else {
        labelled.add(i);
      }
    }
    Map<String, float[][]> masked = new HashMap<>(full.targets());
    masked.put("has67", has67);
    int[][] rows = labelled.stream().map(i -> full.tokens().rows()[i]).toArray(int[][]::new);
    Map<String, float[][]> onlyLabelled = new HashMap<>();
    full.targets().forEach((task, t) -> onlyLabelled.put(task, labelled.stream().map(i -> t[i]).toArray(float[][]::new)));
    // Only has67's loss counts, so both steps move the parameters by the gradient of that loss alone.
    LossWeighting onlyHas67 = TestWeightings.needing(GradientNeed.LOSSES_ONLY,
        input -> input.tasks().stream().mapToDouble(t -> t.equals("has67") ? 1 : 0).toArray());
    List<Map<String, ParameterFile.Tensor>> after = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    for (SourceBatch batch : List.of(new SourceBatch(full.tokens(), masked),
        new SourceBatch(new TokenBatch(rows), onlyLabelled))) {
      try (Network network = engine.create(new NetworkSpec(GRAPH, 20, 0), new OptimizerSettings("sgd", 0.5), 3)) {
        losses.add(network.trainStep(new TrainStep(List.of(batch), onlyHas67, 0, 0, 0.5, GradientNeed.LOSSES_ONLY)).losses().get("has67"));
        after.add(parameters(network, "after" + after.size()));
      }
    }
    assertThat(losses.get(0)).isCloseTo(losses.get(1), within(1e-6));
    after.get(0).forEach((name, tensor) -> {
      float[] other = after.get(1).get(name).values();
      for (int i = 0; i < other.length; i++) {
        assertThat(tensor.values()[i]).as(name).isCloseTo(other[i], within(1e-6f));
      }
    });
  }

  @Test
  @DisplayName("a network resumed from a checkpoint trains on exactly as the uninterrupted one (Adam state and dropout included)")
  void checkpointResumesExactly() throws Exception {
    ModelGraph withDropout = SyntheticTasks.graph(EncoderKind.CNN, 0.3);
    OptimizerSettings adam = new OptimizerSettings("adam", 0.01, 1e-4, 1.0, 0, "none", 0);
    List<SourceBatch> batches = new ArrayList<>();
    Random random = new Random(8);
    for (int i = 0; i < 8; i++) {
      batches.add(SyntheticTasks.batch(random, 16));
    }
    List<Double> straight = new ArrayList<>();
    try (Network network = engine.create(new NetworkSpec(withDropout, 20, 0), adam, 5)) {
      for (int step = 0; step < 8; step++) {
        straight.add(network.trainStep(new TrainStep(List.of(batches.get(step)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).totalLoss());
      }
    }
    List<Double> resumed = new ArrayList<>();
    Path checkpoint = Files.createDirectories(dir.resolve("checkpoint"));
    try (Network network = engine.create(new NetworkSpec(withDropout, 20, 0), adam, 5)) {
      for (int step = 0; step < 4; step++) {
        resumed.add(network.trainStep(new TrainStep(List.of(batches.get(step)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).totalLoss());
      }
      network.saveCheckpoint(checkpoint);
      // Keep training past the checkpoint, as a run killed later would have.
      network.trainStep(new TrainStep(List.of(batches.get(4)), TestWeightings.equal(), 4, 0, 0.01, GradientNeed.LOSSES_ONLY));
    }
    try (Network network = engine.resume(new NetworkSpec(withDropout, 20, 0), adam, 5, checkpoint)) {
      for (int step = 4; step < 8; step++) {
        resumed.add(network.trainStep(new TrainStep(List.of(batches.get(step)), TestWeightings.equal(), step, 0, 0.01,
            GradientNeed.LOSSES_ONLY)).totalLoss());
      }
    }
    assertThat(resumed).containsExactlyElementsOf(straight);
  }
}
