package dev.mtl.engine.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A model graph on DJL's PyTorch engine: parameters, training step and prediction. */
final class DjlNetwork implements Network {
  private final NDManager manager;
  private final ParameterSet parameters;
  private final Lowering lowering;
  private final int paddingId;
  private final Optimizer optimizer;

  /** A network to train, with parameters from a seeded generator. */
  static DjlNetwork create(NDManager parent, ModelGraph graph, int vocabularySize, int paddingId, OptimizerSettings optimizer, long seed) {
    NDManager manager = parent.newSubManager();
    return new DjlNetwork(manager, new ParameterSet(manager, seed), graph, vocabularySize, paddingId, optimizer(optimizer));
  }

  /** A network for prediction, with parameters read from {@code directory}. */
  static DjlNetwork load(NDManager parent, ModelGraph graph, int vocabularySize, int paddingId, Path directory) throws IOException {
    NDManager manager = parent.newSubManager();
    try {
      ParameterSet parameters = new ParameterSet(manager, directory);
      DjlNetwork network = new DjlNetwork(manager, parameters, graph, vocabularySize, paddingId, null);
      parameters.checkAllLoaded();
      return network;
    } catch (java.io.UncheckedIOException e) {
      manager.close();
      throw e.getCause();
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private DjlNetwork(NDManager manager, ParameterSet parameters, ModelGraph graph, int vocabularySize, int paddingId, Optimizer optimizer) {
    this.manager = manager;
    this.parameters = parameters;
    this.lowering = new Lowering(graph, parameters, vocabularySize, paddingId);
    this.paddingId = paddingId;
    this.optimizer = optimizer;
  }

  private static Optimizer optimizer(OptimizerSettings settings) {
    Tracker rate = Tracker.fixed((float) settings.learningRate());
    return switch (settings.kind()) {
      case "adam" -> Optimizer.adam().optLearningRateTracker(rate).build();
      case "sgd" -> Optimizer.sgd().setLearningRateTracker(rate).build();
      default -> throw new IllegalArgumentException("unknown optimizer '" + settings.kind() + "'; known: " + OptimizerSettings.KINDS);
    };
  }

  @Override
  public StepResult trainStep(List<SourceBatch> batches, LossWeighting weighting, long step, int epoch) {
    if (optimizer == null) {
      throw new IllegalStateException("this network was loaded for prediction; create one with Engine.create to train");
    }
    if (weighting.need() != GradientNeed.LOSSES_ONLY) {
      throw new UnsupportedOperationException("The djl-pytorch engine does not compute Gramians of task gradients yet ("
          + weighting.need() + "); use a loss-based weighting such as 'equal' or 'fixed'.");
    }
    try (NDManager scope = manager.newSubManager()) {
      List<String> tasks = new ArrayList<>();
      List<NDArray> losses = new ArrayList<>();
      try (GradientCollector collector = Engine.getEngine(DjlEngine.ENGINE).newGradientCollector()) {
        for (SourceBatch batch : batches) {
          Lowering.Pass pass = pass(scope, batch.tokens(), true);
          for (Head head : lowering.heads()) {
            float[][] targets = batch.targets().get(head.task());
            if (targets != null) {
              tasks.add(head.task());
              losses.add(loss(scope, head, pass.logits(head), targets));
            }
          }
        }
        double[] values = new double[losses.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = losses.get(i).getFloat();
        }
        double[] weights = weighting.weights(new WeightingInput(step, epoch, tasks, values, Optional.empty()));
        NDArray total = losses.get(0).mul((float) weights[0]);
        for (int i = 1; i < losses.size(); i++) {
          total = total.add(losses.get(i).mul((float) weights[i]));
        }
        NDArray penalty = lowering.penalty(scope);
        double penaltyValue = 0;
        if (penalty != null) {
          penaltyValue = penalty.getFloat();
          total = total.add(penalty);
        }
        collector.backward(total);
        for (String name : parameters.trainableNames()) {
          NDArray p = parameters.arrays().get(name);
          optimizer.update(name, p, p.getGradient());
        }
        Map<String, Double> lossByTask = new LinkedHashMap<>();
        Map<String, Double> weightByTask = new LinkedHashMap<>();
        for (int i = 0; i < tasks.size(); i++) {
          lossByTask.put(tasks.get(i), values[i]);
          weightByTask.put(tasks.get(i), weights[i]);
        }
        return new StepResult(lossByTask, weightByTask, penaltyValue);
      }
    }
  }

  @Override
  public Map<String, float[][]> predict(TokenBatch tokens, Collection<String> tasks) {
    Map<String, float[][]> out = new LinkedHashMap<>();
    try (NDManager scope = manager.newSubManager()) {
      Lowering.Pass pass = pass(scope, tokens, false);
      for (Head head : lowering.heads()) {
        if (tasks.contains(head.task())) {
          NDArray scores = Lowering.activation(head.output().loss(), pass.logits(head));
          float[] flat = scores.toFloatArray();
          int width = head.output().size();
          float[][] rows = new float[tokens.size()][width];
          for (int i = 0; i < rows.length; i++) {
            System.arraycopy(flat, i * width, rows[i], 0, width);
          }
          out.put(head.task(), rows);
        }
      }
    }
    return out;
  }

  private Lowering.Pass pass(NDManager scope, TokenBatch batch, boolean training) {
    int rows = batch.size();
    int time = batch.maxLength();
    long[] ids = new long[rows * time];
    float[] mask = new float[rows * time];
    int[] lengths = new int[rows];
    java.util.Arrays.fill(ids, paddingId);
    for (int b = 0; b < rows; b++) {
      int[] row = batch.rows()[b];
      lengths[b] = row.length;
      for (int t = 0; t < row.length; t++) {
        ids[b * time + t] = row[t];
        mask[b * time + t] = 1f;
      }
    }
    NDArray tokenArray = scope.create(ids, new Shape(rows, time));
    NDArray maskArray = scope.create(mask, new Shape(rows, time, 1));
    return lowering.pass(tokenArray, maskArray, lengths, training);
  }

  /** Mean loss of a head over the batch. */
  private static NDArray loss(NDManager scope, Head head, NDArray logits, float[][] targets) {
    int rows = targets.length;
    int width = head.output().size();
    float[] dense = new float[rows * width];
    LossKind kind = head.output().loss();
    for (int i = 0; i < rows; i++) {
      if (kind == LossKind.SOFTMAX_CROSS_ENTROPY) {
        dense[i * width + (int) targets[i][0]] = 1f;
      } else {
        System.arraycopy(targets[i], 0, dense, i * width, width);
      }
    }
    NDArray y = scope.create(dense, new Shape(rows, width));
    return switch (kind) {
      case SOFTMAX_CROSS_ENTROPY -> logits.logSoftmax(1).mul(y).sum(new int[] {1}).mean().neg();
      // Numerically stable BCE with logits: max(x,0) - x*y + log(1 + exp(-|x|)).
      case SIGMOID_BINARY_CROSS_ENTROPY -> logits.maximum(0f).sub(logits.mul(y)).add(logits.abs().neg().exp().add(1f).log()).mean();
      case MEAN_SQUARED_ERROR -> logits.sub(y).square().mean();
      case HUBER -> {
        NDArray abs = logits.sub(y).abs();
        NDArray quadratic = abs.minimum(1f);
        yield quadratic.square().mul(0.5f).add(abs.sub(quadratic)).mean();
      }
    };
  }

  @Override
  public void save(Path directory) throws IOException {
    parameters.save(directory);
  }

  @Override
  public long parameterCount() {
    return parameters.count();
  }

  @Override
  public void close() {
    manager.close();
  }
}
