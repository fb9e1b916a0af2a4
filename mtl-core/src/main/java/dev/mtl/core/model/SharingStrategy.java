package dev.mtl.core.model;

import dev.mtl.core.task.OutputSpec;
import java.util.List;

/**
 * Decides which parameters tasks share by describing the network, without executing anything.
 * Engines lower the description, so a strategy works on every engine.
 */
public interface SharingStrategy {
  /**
   * Describes the network for these tasks.
   *
   * @param model sizes and kinds from the run config
   * @param heads one head per task, with {@link Head#input()} left for the strategy to set
   */
  ModelGraph describe(ModelSpec model, List<HeadRequest> heads);

  /** A task's request for a head: its name and outputs. */
  record HeadRequest(String task, OutputSpec output) {}
}
