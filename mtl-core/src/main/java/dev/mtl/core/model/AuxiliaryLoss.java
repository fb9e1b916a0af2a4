package dev.mtl.core.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A training loss computed from layer outputs rather than from a task's labels (adversarial
 * shared-private sharing, Liu et al. 2017). It is added to the training loss as {@code weight ·
 * value} beside the parameter {@link Penalty penalties}; the loss weighting never weighs it.
 * Engines compute it on every batch of a step where it applies.
 */
public sealed interface AuxiliaryLoss permits AuxiliaryLoss.TaskDiscriminator, AuxiliaryLoss.Orthogonality {
  /** Its weight in the training loss. */
  double weight();

  /** The layers whose outputs it reads. */
  List<String> inputs();

  /**
   * A linear classifier, owning the parameters {@code <id>.weight} (tasks × width) and {@code
   * <id>.bias}, that tells from the vector of layer {@code inputId} which task a text's data source
   * belongs to: its loss is the mean softmax cross-entropy over the rows of every batch labelled for
   * exactly one task, the class being that task's position among the heads. Batches labelled for
   * several tasks (one corpus, several label sets) have no source to tell and count nothing. Read
   * through a {@link Layer.GradientReversal}, the layers below learn to hide the source while the
   * classifier learns to find it.
   */
  record TaskDiscriminator(String id, String inputId, double weight) implements AuxiliaryLoss {
    public TaskDiscriminator {
      checkWeight(weight);
    }

    @Override
    public List<String> inputs() {
      return List.of(inputId);
    }
  }

  /**
   * Keeps each task's private features apart from the shared ones: for each pair whose task is
   * labelled in a batch, both vector outputs are centred over the batch's rows and scaled to unit
   * length per row (as in Bousmalis et al. 2016, so the value does not depend on the features'
   * scale), and the loss is the mean square of the entries of {@code Pᵀ S} (the squared Frobenius
   * norm over the number of entries, as in that paper's code: the sum grows with the square of the
   * batch's rows and would swamp task losses of about 0.1), summed over the pairs and averaged over
   * the step's batches.
   */
  record Orthogonality(double weight, List<Pair> pairs) implements AuxiliaryLoss {
    public Orthogonality {
      checkWeight(weight);
      pairs = List.copyOf(pairs);
    }

    @Override
    public List<String> inputs() {
      List<String> out = new ArrayList<>();
      pairs.forEach(p -> {
        out.add(p.sharedId());
        out.add(p.privateId());
      });
      return out;
    }
  }

  /** A task's shared and private feature layers (vector layers). */
  record Pair(String task, String sharedId, String privateId) {}

  private static void checkWeight(double weight) {
    if (weight < 0 || !Double.isFinite(weight)) {
      throw new IllegalArgumentException("an auxiliary loss's weight must be finite and not negative, got " + weight);
    }
  }
}
