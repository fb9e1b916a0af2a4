package dev.mtl.core.weighting;

import dev.mtl.core.model.ModelGraph;
import java.util.List;
import java.util.Optional;

/**
 * Whether a Gramian of task gradients can be computed for a model graph, checked before training
 * (when the run resolves) and again by engines. One place, so the config check and the engine agree.
 */
public final class GramianChoice {
  /** The way out when no weighting of task gradients can work for a run. */
  public static final String LOSSES_ONLY_CHOICE = "a weighting that needs losses only (equal, fixed, uncertainty, dwa, rlw, gls)";

  private GramianChoice() {}

  /**
   * Why {@code need} cannot be computed, with the choice that works; empty if it can.
   *
   * @param sources the tasks of each training batch (tasks over the same texts share one)
   */
  public static Optional<String> problem(GradientNeed need, ModelGraph graph, List<List<String>> sources) {
    if (need == GradientNeed.LOSSES_ONLY || need == GradientNeed.GRAMIAN_WITH_META_BATCH) {
      // Inner products over every trained parameter exist for any graph and any sources.
      return Optional.empty();
    }
    boolean sharesParameters = !graph.sharedParameters().isEmpty();
    String lossesOnly = "use " + LOSSES_ONLY_CHOICE;
    String parametersInstead = !sharesParameters ? lossesOnly
        : need == GradientNeed.GRADIENTS_ON_REPRESENTATION
            ? "this weighting works on the representation only; use a Gramian-based one with 'gramian: parameters' (e.g. pcgrad,"
                + " upgrad) or " + LOSSES_ONLY_CHOICE
            : "set 'gramian: parameters' to measure gradients on the shared parameters instead";
    if (need == GradientNeed.GRAMIAN_ON_PARAMETERS) {
      return sharesParameters ? Optional.empty() : Optional.of("no trainable parameter is shared by two or more tasks"
          + " (the sharing ties tasks only through penalties, if at all); " + parametersInstead);
    }
    if (graph.sharedRepresentation().isEmpty()) {
      return Optional.of("the model has no representation that every task's loss passes through (the sharing gives tasks"
          + " separate paths from the input); " + parametersInstead);
    }
    if (sources.size() > 1) {
      return Optional.of("the tasks read different texts " + sources + ", so no one representation holds all their"
          + " gradients; " + parametersInstead);
    }
    return Optional.empty();
  }
}
