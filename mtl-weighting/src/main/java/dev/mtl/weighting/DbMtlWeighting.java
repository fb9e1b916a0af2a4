package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.Map;

/**
 * DB-MTL, dual-balancing multi-task learning (Lin, Ye, Xu, Shi and Zhang, "Dual-Balancing for
 * Multi-Task Learning", 2023; LibMTL's {@code DB_MTL}). Two balances: loss scales, by descending
 * the log-losses ({@code ∇log L_t = g_t / L_t}), and gradient magnitudes, by scaling every task's
 * log-loss gradient to the largest one's norm. Task t's weight is
 * {@code w_t = (max_s m_s / m_t) / L_t}, where {@code m_t} tracks {@code ‖g_t‖ / L_t} as an
 * exponential moving average {@code m ← u + β/k^σ (m − u)} (k: the task's step count, from 0).
 * The paper and LibMTL average the gradient vectors and take the norm of the average; here the
 * norms are averaged, which needs only the Gramian's diagonal and keeps memory flat (with
 * {@code beta: 0} the two are the same). The averages are saved with checkpoints.
 *
 * <pre>
 * weighting: {type: dbmtl, beta: 0.9, beta-sigma: 0, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class DbMtlWeighting implements LossWeightingProvider {
  private static final double FLOOR = 1e-8;

  @Override
  public String name() {
    return "dbmtl";
  }

  @Override
  public String description() {
    return "log-losses with every task gradient scaled to the largest norm (DB-MTL, Lin et al. 2023)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double beta = settings.number("beta", 0.9, 0, 1);
    double betaSigma = settings.number("beta-sigma", 0, 0, 10);
    int n = taskNames.size();
    double[] average = new double[n];
    double[] steps = new double[n];
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] losses = TaskIndex.flooredLosses(input, FLOOR);
        return balance(gramian, losses, index, average, steps, beta, betaSigma);
      }

      @Override
      public Map<String, double[]> state() {
        return Map.of("average-norms", average.clone(), "steps", steps.clone());
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("average-norms"), 0, average, 0, n);
        System.arraycopy(state.get("steps"), 0, steps, 0, n);
      }
    };
  }

  /**
   * One step's weights; updates {@code average} (tracked log-loss gradient norms) and {@code steps}
   * (each task's update count) in place at the run-list positions {@code index}.
   */
  static double[] balance(double[][] gramian, double[] losses, int[] index, double[] average, double[] steps, double beta,
      double betaSigma) {
    int n = losses.length;
    double largest = 0;
    for (int t = 0; t < n; t++) {
      int k = index[t];
      double norm = Math.sqrt(Math.max(0, gramian[t][t])) / losses[t];
      steps[k] += 1;
      // LibMTL starts its buffer at zero and decays with the step count: buffer = u + β/k^σ (buffer − u).
      average[k] = norm + beta / Math.pow(steps[k], betaSigma) * (average[k] - norm);
      largest = Math.max(largest, average[k]);
    }
    double[] w = new double[n];
    for (int t = 0; t < n; t++) {
      double tracked = average[index[t]];
      // A task without gradient (zero norm so far) keeps the plain log-loss weight.
      w[t] = (tracked > 0 ? largest / tracked : 1) / losses[t];
    }
    return w;
  }
}
