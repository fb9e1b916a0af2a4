package dev.mtl.core.training;

import dev.mtl.core.run.Baselines;
import dev.mtl.core.run.ModelSelection;
import dev.mtl.core.task.ClassReport;
import dev.mtl.core.task.TaskMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a training run, also written as {@code metrics.json} in the run's directory.
 *
 * @param run the run's name
 * @param modelDirectory where the trained model was saved
 * @param epochs one summary per epoch
 * @param evaluations every evaluation on dev during training, in order: those inside an epoch
 *     ({@code training.eval-every}) and each epoch's last, by the step after which they ran
 * @param dev final metrics per task on the dev splits
 * @param test final metrics per task on the test splits
 * @param testClasses per task that offers it (classification): results per class and a confusion
 *     matrix on its test split
 * @param parameterCount trainable scalars
 * @param peakHeapBytes the JVM heap's peak use (the engine's native memory is not included)
 * @param peakRssBytes the process's peak resident memory (heap, native arrays, the JVM itself): what
 *     the run needed of the machine; -1 where the system does not say
 * @param baselines the comparison with stored single-task baselines, or null when there are none
 * @param selectedEpoch the 0-based epoch whose model was kept (see {@link ModelSelection}); with
 *     per-task states, the last epoch (whose model serves tasks without a state of their own)
 * @param taskEpochs per task with a state of its own ({@code select-by: per-task}): the 0-based
 *     epoch it was kept from; empty otherwise
 * @param fineTuneEpochs per task, with {@code training.fine-tune}: the epochs of fine-tuning in the
 *     state it kept (0: the multi-task state was best on dev); empty otherwise
 */
public record TrainingReport(String run, Path modelDirectory, List<TrainingListener.EpochSummary> epochs, List<Evaluation> evaluations,
    Map<String, TaskMetrics> dev, Map<String, TaskMetrics> test, Map<String, ClassReport> testClasses, long parameterCount, long peakHeapBytes, long peakRssBytes,
    Baselines.Comparison baselines, int selectedEpoch, Map<String, Integer> taskEpochs, Map<String, Integer> fineTuneEpochs) {

  /**
   * One evaluation during training.
   *
   * @param epoch the 0-based epoch it ran in
   * @param step optimizer steps taken before it
   * @param split the split evaluated (dev)
   * @param metrics per task
   */
  public record Evaluation(int epoch, long step, String split, Map<String, TaskMetrics> metrics) {}
}
