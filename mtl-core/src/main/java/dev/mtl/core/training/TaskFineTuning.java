package dev.mtl.core.training;

import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.NonFiniteException;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.inference.Evaluator;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.run.FineTuning;
import dev.mtl.core.run.ModelSelection;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One task's fine-tuning after multi-task training ({@link FineTuning}): from a saved state, on the
 * task's own training rows, with a fresh optimizer at a constant rate; its dev metric after every
 * epoch decides which state it keeps, the starting point included.
 */
final class TaskFineTuning {
  /** Every step trains one task, at weight 1. */
  private static final LossWeighting ONE = input -> {
    double[] weights = new double[input.tasks().size()];
    Arrays.fill(weights, 1);
    return weights;
  };

  /** The kept state's dev metrics and its epoch (0: the starting point was best). */
  record Result(TaskMetrics dev, int epoch) {}

  private TaskFineTuning() {}

  /**
   * Fine-tunes {@code task} from the parameters in {@code start} and writes the best state into
   * {@code out} (atomically).
   */
  static Result run(Engine engine, NetworkSpec spec, OptimizerSettings training, FineTuning settings, long seed, int batchSize,
      Task task, DataSource train, DataSource dev, Path start, Path out, TrainingLog log, TrainingListener listener) throws IOException {
    String name = task.name();
    OptimizerSettings optimizer = new OptimizerSettings(training.kind(), settings.learningRate(), training.weightDecay(),
        training.clipNorm(), 0, "none", 0, training.embeddingUpdates(), training.layerDecay(), training.averageDecay());
    try (Network network = engine.startFrom(spec, optimizer, seed, start)) {
      TaskMetrics best = evaluate(network, task, dev);
      if (best == null) {
        throw new TrainingException("training.fine-tune: task '" + name + "' has no labelled dev rows to choose its state by;"
            + " give it a dev file or a holdout, or drop fine-tune");
      }
      log.fineTuneEpoch(name, 0, null, Map.of(name, best), true);
      AtomicFiles.writeDirectory(out, network::save);
      int bestEpoch = 0;
      int sinceBest = 0;
      int steps = (train.size() + batchSize - 1) / batchSize;
      Iterator<int[]> batches = new MultiTaskTrainer.CyclingBatches(train, batchSize, new Random(seed * 31 + name.hashCode()));
      long step = 0;
      listener.onFineTuneStart(name, settings.epochs(), steps);
      for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
        long started = System.nanoTime();
        double lossSum = 0;
        for (int i = 0; i < steps; i++) {
          GracefulStop.throwIfRequested();
          StepResult result;
          try {
            result = network.trainStep(new TrainStep(List.of(train.batch(batches.next())), ONE, step++, epoch - 1,
                settings.learningRate(), GradientNeed.LOSSES_ONLY));
          } catch (NonFiniteException e) {
            throw new TrainingException("fine-tuning task '" + name + "' stopped: " + e.getMessage()
                + ". Lower training.fine-tune.learning-rate or set training.clip-norm.", e);
          }
          lossSum += result.losses().getOrDefault(name, 0.0);
        }
        TaskMetrics metrics = evaluate(network, task, dev);
        boolean better = ModelSelection.primary(metrics) > ModelSelection.primary(best);
        log.fineTuneEpoch(name, epoch, lossSum / steps, Map.of(name, metrics), better);
        listener.onFineTuneEpoch(name, epoch, settings.epochs(), (System.nanoTime() - started) / 1e9, metrics, better);
        if (better) {
          AtomicFiles.writeDirectory(out, network::save);
          best = metrics;
          bestEpoch = epoch;
          sinceBest = 0;
        } else if (settings.patience() > 0 && ++sinceBest >= settings.patience()) {
          break;
        }
      }
      return new Result(best, bestEpoch);
    }
  }

  private static TaskMetrics evaluate(Network network, Task task, DataSource dev) {
    return Evaluator.calibratedEvaluate(network, List.of(task), List.of(dev), Evaluator.Progress.NONE).get(task.name());
  }
}
