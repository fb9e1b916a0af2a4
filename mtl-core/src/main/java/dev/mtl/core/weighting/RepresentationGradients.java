package dev.mtl.core.weighting;

import java.util.List;

/**
 * Each task's gradient on the shared representation in one step, and the representation's values,
 * for weightings that act coordinate by coordinate ({@link GradientNeed#GRADIENTS_ON_REPRESENTATION}).
 * Every array is {@code rows x width}, row-major: one row per example of the step's batch. The
 * engine builds fresh arrays every step and reads nothing back from them; the same arrays go to
 * {@link LossWeighting#weights} and then to {@link LossWeighting#combine}, so what one changes the
 * other sees.
 *
 * @param rows examples in the batch
 * @param width the representation's width
 * @param values the representation's values (e.g. GradDrop reads their signs)
 * @param byTask each task's gradient of its loss with respect to the representation, in the order of
 *     {@link WeightingInput#tasks()}
 */
public record RepresentationGradients(int rows, int width, float[] values, List<float[]> byTask) {
  public RepresentationGradients {
    byTask = List.copyOf(byTask);
    if (values.length != rows * width) {
      throw new IllegalArgumentException(values.length + " representation values for " + rows + " x " + width);
    }
    for (float[] gradient : byTask) {
      if (gradient.length != rows * width) {
        throw new IllegalArgumentException("a task gradient of " + gradient.length + " values for a " + rows + " x " + width
            + " representation");
      }
    }
  }
}
