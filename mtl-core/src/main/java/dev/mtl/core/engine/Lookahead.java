package dev.mtl.core.engine;

import java.util.List;

/**
 * What one lookahead measurement saw ({@link Network#lookahead}): the tasks' losses on a batch,
 * their losses again after a step along one task's gradient on the shared parameters, and the
 * inner products of those gradients.
 *
 * @param tasks the tasks with labelled rows in the batches, in the order of the arrays
 * @param before each task's loss at the current parameters
 * @param after {@code after[i][j]}: task j's loss after an SGD step along task i's gradient
 * @param gramian {@code gramian[i][j]}: inner product of tasks i's and j's gradients on the shared parameters
 */
public record Lookahead(List<String> tasks, double[] before, double[][] after, double[][] gramian) {
  public Lookahead {
    tasks = List.copyOf(tasks);
  }

  /**
   * Lookahead inter-task affinity (Fifty et al. 2021): {@code Z[i][j] = 1 - after[i][j] / before[j]},
   * the relative drop of task j's loss caused by a step on task i; positive helps, negative hurts.
   */
  public double[][] affinity() {
    int n = tasks.size();
    double[][] z = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        z[i][j] = 1 - after[i][j] / before[j];
      }
    }
    return z;
  }

  /** Cosine similarity of the tasks' gradients on the shared parameters (NaN where one is zero). */
  public double[][] cosine() {
    int n = tasks.size();
    double[][] c = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        c[i][j] = gramian[i][j] / Math.sqrt(gramian[i][i] * gramian[j][j]);
      }
    }
    return c;
  }
}
