package dev.mtl.core.training;

import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a training run stands between steps: everything besides the network that a resumed run
 * needs to continue exactly. Written as {@code trainer.json} in every checkpoint.
 */
final class RunState {
  static final String FILE = "trainer.json";
  // NaN and infinities occur (a task without dev data, DWA before two epochs); JsonFiles keeps them as such.

  /** The epoch under way and the next step in it. */
  public int epoch;
  public int stepInEpoch;
  /** The next optimizer step. */
  public long step;
  /** Batches drawn so far from each training source (replayed on resume; drawing is seeded). */
  public long[] drawn;
  public Map<String, Double> lossSums = new LinkedHashMap<>();
  public Map<String, Double> weightSums = new LinkedHashMap<>();
  public Map<String, Integer> trainedSteps = new LinkedHashMap<>();
  public Map<String, double[]> cosineSums = new LinkedHashMap<>();
  public int skipped;
  /** Training seconds of the epoch under way before this point. */
  public double epochSeconds;
  public List<TrainingListener.EpochSummary> epochs = new ArrayList<>();
  public List<TrainingReport.Evaluation> evaluations = new ArrayList<>();
  /** The best evaluation so far (model selection): its epoch, the step after which it ran, its dev metrics. */
  public int bestEpoch = -1;
  public long bestStep = -1;
  public double bestScore = Double.NEGATIVE_INFINITY;
  public Map<String, TaskMetrics> bestDev;
  /** Per-task selection: each task's best primary dev score (higher is better), its epoch and dev metrics. */
  public Map<String, Double> taskBestScore = new LinkedHashMap<>();
  public Map<String, Integer> taskBestEpoch = new LinkedHashMap<>();
  public Map<String, TaskMetrics> taskBestDev = new LinkedHashMap<>();
  /** Evaluations since the best one, for patience. */
  public int sinceBest;
  /** Per-task selection: each task's evaluations since its own best (stop-tasks stops it at patience). */
  public Map<String, Integer> taskSinceBest = new LinkedHashMap<>();
  public Map<String, double[]> weighting = Map.of();
  /** Length of training-log.jsonl at this point; a resumed run cuts what came after. */
  public long logBytes;

  static RunState fresh(int sources) {
    RunState state = new RunState();
    state.drawn = new long[sources];
    return state;
  }

  /** Clears the per-epoch sums for the next epoch. */
  void startEpoch(int next) {
    epoch = next;
    stepInEpoch = 0;
    lossSums = new LinkedHashMap<>();
    weightSums = new LinkedHashMap<>();
    trainedSteps = new LinkedHashMap<>();
    cosineSums = new LinkedHashMap<>();
    skipped = 0;
    epochSeconds = 0;
  }

  /** Adds a step's losses, weights and gradient cosines to the epoch's sums. */
  void add(StepResult result) {
    result.losses().forEach((task, loss) -> lossSums.merge(task, loss, Double::sum));
    result.losses().keySet().forEach(task -> trainedSteps.merge(task, 1, Integer::sum));
    result.weights().forEach((task, weight) -> weightSums.merge(task, weight, Double::sum));
    result.cosines().forEach((pair, cosine) -> {
      double[] sumAndCount = cosineSums.computeIfAbsent(pair, k -> new double[2]);
      if (Double.isFinite(cosine)) {
        sumAndCount[0] += cosine;
        sumAndCount[1]++;
      }
    });
  }

  /**
   * The epoch under way so far: means over the steps that trained each task (a sampler may train a
   * task in only some steps), with its dev metrics and training seconds.
   */
  TrainingListener.EpochSummary epochSummary(int steps, Map<String, TaskMetrics> dev, double seconds) {
    Map<String, Double> meanLoss = new LinkedHashMap<>();
    Map<String, Double> meanWeight = new LinkedHashMap<>();
    Map<String, Double> meanCosine = new LinkedHashMap<>();
    lossSums.forEach((task, sum) -> meanLoss.put(task, sum / trainedSteps.get(task)));
    weightSums.forEach((task, sum) -> meanWeight.put(task, sum / trainedSteps.get(task)));
    cosineSums.forEach((pair, sumAndCount) -> meanCosine.put(pair, sumAndCount[1] > 0 ? sumAndCount[0] / sumAndCount[1] : Double.NaN));
    return new TrainingListener.EpochSummary(epoch, steps, meanLoss, meanWeight, meanCosine, dev, seconds, skipped,
        ProcessMemory.residentBytes());
  }

  void write(Path directory) throws IOException {
    Files.writeString(directory.resolve(FILE), JsonFiles.pretty(this));
  }

  static RunState read(Path directory) throws IOException {
    return JsonFiles.read(directory.resolve(FILE), RunState.class);
  }
}
