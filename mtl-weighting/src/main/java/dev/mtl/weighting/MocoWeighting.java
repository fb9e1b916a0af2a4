package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * MoCo, multi-objective gradient correction (Fernando, Shen, Liu, Chaudhury, Murugesan and Chen,
 * "Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent Approach", ICLR
 * 2023; LibMTL's {@code MoCo}). Each task gradient is rescaled to its loss,
 * {@code ĝ_t = L_t g_t / ‖g_t‖}; a tracked estimate Y of the tasks' gradients reduces the bias of
 * stochastic MGDA, and the weights follow {@code λ ← softmax(λ − γ_k (YYᵀ + ρI) λ)} with
 * {@code γ_k = γ / k^σγ}. The paper tracks the gradient vectors ({@code y ← y − β_k (y − ĝ)}, one
 * copy of the shared parameters per task); here the tracked quantity is their Gramian,
 * {@code YYᵀ ← YYᵀ − β_k (YYᵀ − Ĝ)} with {@code β_k = β / k^σβ}, and the update is
 * {@code Σ λ_t ĝ_t} from this step's gradients, so memory stays flat. With a constant gradient both
 * forms converge to the same λ. The tracked Gramian, λ and the step count are saved with
 * checkpoints. Steps that train a different set of tasks than the run's (task sampling) are
 * refused: the tracked Gramian is over all tasks (a config whose sampler trains one dataset per
 * step fails before training).
 *
 * <pre>
 * weighting: {type: moco, beta: 0.5, beta-sigma: 0.5, gamma: 0.1, gamma-sigma: 0.5, rho: 0, gramian: representation}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class MocoWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "moco";
  }

  @Override
  public String description() {
    return "MGDA-style weights on a tracked, loss-scaled Gramian that corrects gradient bias (MoCo, Fernando et al. 2023)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    Tracker tracker = new Tracker(taskNames.size(), settings.number("beta", 0.5, 0, 1), settings.number("beta-sigma", 0.5, 0, 10),
        settings.number("gamma", 0.1, 0, 1e6), settings.number("gamma-sigma", 0.5, 0, 10), settings.number("rho", 0, 0, 1e6));
    return new GramianWeighting(GramianOption.read(settings)) {
      @Override
      public boolean needsEveryTaskEachStep() {
        return true;
      }

      @Override
      double[] weights(double[][] gramian, WeightingInput input) {
        if (!input.tasks().equals(taskNames)) {
          throw new IllegalStateException("moco tracks the Gramian of all the run's tasks " + taskNames + ", but step "
              + input.step() + " trains " + input.tasks() + "; use it with sampling: all");
        }
        return tracker.step(gramian, input.losses());
      }

      @Override
      public Map<String, double[]> state() {
        return tracker.state();
      }

      @Override
      public void restore(Map<String, double[]> state) {
        tracker.restore(state);
      }
    };
  }

  /** MoCo's state and step, separate from the config so tests drive it with hand-worked numbers. */
  static final class Tracker {
    private final int n;
    private final double beta;
    private final double betaSigma;
    private final double gamma;
    private final double gammaSigma;
    private final double rho;
    private final int[] everyTask;
    private double[] tracked;
    private double[] lambda;
    private double steps;

    Tracker(int n, double beta, double betaSigma, double gamma, double gammaSigma, double rho) {
      this.n = n;
      this.beta = beta;
      this.betaSigma = betaSigma;
      this.gamma = gamma;
      this.gammaSigma = gammaSigma;
      this.rho = rho;
      this.everyTask = IntStream.range(0, n).toArray();
      this.tracked = new double[n * n];
      this.lambda = Matrices.filled(n, 1.0 / n);
    }

    /** The weights on the raw gradients, {@code λ_t L_t / ‖g_t‖}; moves the tracked Gramian and λ. */
    double[] step(double[][] gramian, double[] losses) {
      double[] norms = new double[n];
      for (int t = 0; t < n; t++) {
        norms[t] = Math.sqrt(Math.max(0, gramian[t][t]));
      }
      steps += 1;
      double trackRate = beta / Math.pow(steps, betaSigma);
      double lambdaRate = gamma / Math.pow(steps, gammaSigma);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          double scaled = norms[i] > 0 && norms[j] > 0 ? gramian[i][j] * losses[i] * losses[j] / (norms[i] * norms[j]) : 0;
          tracked[i * n + j] -= trackRate * (tracked[i * n + j] - scaled);
        }
      }
      double[] moved = new double[n];
      for (int i = 0; i < n; i++) {
        double push = rho * lambda[i];
        for (int j = 0; j < n; j++) {
          push += tracked[i * n + j] * lambda[j];
        }
        moved[i] = lambda[i] - lambdaRate * push;
      }
      lambda = FamoWeighting.softmax(moved, everyTask);
      double[] w = new double[n];
      for (int t = 0; t < n; t++) {
        w[t] = norms[t] > 0 ? lambda[t] * losses[t] / norms[t] : 0;
      }
      return w;
    }

    double[] lambda() {
      return lambda.clone();
    }

    Map<String, double[]> state() {
      return Map.of("tracked-gramian", tracked.clone(), "lambda", lambda.clone(), "steps", new double[] {steps});
    }

    void restore(Map<String, double[]> state) {
      tracked = state.get("tracked-gramian").clone();
      lambda = state.get("lambda").clone();
      steps = state.get("steps")[0];
    }
  }
}
