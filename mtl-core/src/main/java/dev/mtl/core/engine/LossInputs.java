package dev.mtl.core.engine;

import dev.mtl.core.model.Head;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.Arrays;
import java.util.Optional;

/**
 * What every engine computes the same way around a step, in plain Java: a head's targets as a
 * dense matrix, which rows are labelled, and the weighting's checked weights.
 */
public final class LossInputs {
  private LossInputs() {}

  /**
   * A head's targets as a row-major {@code (rows, outputs)} matrix, one-hot for softmax heads whose
   * target is a class index, as given where it is a class distribution (one value per output, e.g.
   * a distillation target); rows without a label stay zero (see {@link #labelledRows}).
   */
  public static float[] denseTargets(Head head, float[][] targets) {
    int width = head.output().size();
    float[] dense = new float[targets.length * width];
    for (int i = 0; i < targets.length; i++) {
      if (!TaskData.isLabelled(targets[i])) {
        continue;
      }
      if (head.output().loss() == LossKind.SOFTMAX_CROSS_ENTROPY && targets[i].length != width) {
        dense[i * width + (int) targets[i][0]] = 1f;
      } else {
        System.arraycopy(targets[i], 0, dense, i * width, width);
      }
    }
    return dense;
  }

  /** 1 for rows with a label, 0 for the others. */
  public static float[] labelledRows(float[][] targets) {
    float[] mask = new float[targets.length];
    for (int i = 0; i < targets.length; i++) {
      mask[i] = TaskData.isLabelled(targets[i]) ? 1f : 0f;
    }
    return mask;
  }

  /** The labelled-row mask times the rows' weights (the mask itself when there are none). */
  public static float[] weighted(float[] mask, float[] rowWeights) {
    if (rowWeights == null) {
      return mask;
    }
    float[] out = new float[mask.length];
    for (int i = 0; i < mask.length; i++) {
      out[i] = mask[i] * rowWeights[i];
    }
    return out;
  }

  /**
   * The weighting's weights, checked: one finite weight per task.
   *
   * @throws IllegalStateException naming the weighting, the task and the step otherwise
   */
  public static double[] checkedWeights(LossWeighting weighting, WeightingInput input) {
    double[] weights = weighting.weights(input);
    if (weights == null || weights.length != input.tasks().size()) {
      throw new IllegalStateException("weighting " + weighting.getClass().getName() + " returned "
          + (weights == null ? "null" : weights.length + " weights") + " for " + input.tasks().size() + " tasks " + input.tasks());
    }
    for (int i = 0; i < weights.length; i++) {
      if (!Double.isFinite(weights[i])) {
        throw new IllegalStateException("weighting " + weighting.getClass().getName() + " gave task '" + input.tasks().get(i)
            + "' the weight " + weights[i] + " at step " + input.step() + " (losses " + Arrays.toString(input.losses()) + ")");
      }
    }
    return weights;
  }

  /**
   * The weighting's gradient for the layers below the representation ({@link LossWeighting#combine}),
   * checked to be {@code length} finite values; empty when it leaves that to the weighted sum.
   */
  public static Optional<float[]> checkedCombination(LossWeighting weighting, WeightingInput input, double[] weights, int length) {
    Optional<float[]> combined = weighting.combine(input, weights);
    combined.ifPresent(values -> {
      if (values.length != length) {
        throw new IllegalStateException("weighting " + weighting.getClass().getName() + " combined the task gradients into "
            + values.length + " values for a representation of " + length);
      }
      for (float v : values) {
        if (!Float.isFinite(v)) {
          throw new IllegalStateException("weighting " + weighting.getClass().getName() + " combined the task gradients into"
              + " the value " + v + " at step " + input.step() + " (losses " + Arrays.toString(input.losses()) + ")");
        }
      }
    });
    return combined;
  }

  /** The weighting's meta-batch loss weights ({@link LossWeighting#metaWeights}), checked like {@link #checkedWeights}. */
  public static Optional<double[]> checkedMetaWeights(LossWeighting weighting, WeightingInput input, double[] weights) {
    Optional<double[]> meta = weighting.metaWeights(input, weights);
    meta.ifPresent(values -> {
      if (values.length != input.tasks().size()) {
        throw new IllegalStateException("weighting " + weighting.getClass().getName() + " returned " + values.length
            + " meta-batch weights for " + input.tasks().size() + " tasks " + input.tasks());
      }
      for (int i = 0; i < values.length; i++) {
        if (!Double.isFinite(values[i])) {
          throw new IllegalStateException("weighting " + weighting.getClass().getName() + " gave task '" + input.tasks().get(i)
              + "' the meta-batch weight " + values[i] + " at step " + input.step());
        }
      }
    });
    return meta;
  }
}
