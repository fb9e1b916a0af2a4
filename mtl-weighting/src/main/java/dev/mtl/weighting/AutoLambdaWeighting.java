package dev.mtl.weighting;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Auto-Lambda (Liu, Johns and Davison, "Auto-Lambda: Disentangling Dynamic Task Relationships",
 * TMLR 2022; the authors' {@code AutoLambda} class). The weights λ are meta-learned: each step first
 * moves λ to lower the primary tasks' loss on the meta batch after a step on {@code Σ_t λ_t L_t},
 * then trains with the new λ. The hypergradient is first order, {@code ∂/∂λ_t ∝ −Σ_{s primary}
 * ⟨h_s, g_t⟩} over every trained parameter (the authors take it after a virtual step, by finite
 * differences; see {@link MetaBatchWeighting}), and Adam steps λ as in their code. λ starts at 0.1
 * (their default) and is kept at least 0: a negative weight would train its task to get worse. With
 * {@code primary} naming some tasks, the others become auxiliary tasks weighted only by how much they
 * help those; by default every task is primary. λ and Adam's moments are saved with checkpoints.
 *
 * <pre>
 * weighting: {type: auto-lambda, learning-rate: 0.0001, initial: 0.1, primary: [sentiment]}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class AutoLambdaWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "auto-lambda";
  }

  @Override
  public String description() {
    return "weights meta-learned to lower the primary tasks' loss on a second batch (Auto-Lambda, Liu et al. 2022)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double learningRate = settings.number("learning-rate", 1e-4, 1e-8, 10);
    double initial = settings.number("initial", 0.1, 0, 1e6);
    List<String> primary = settings.has("primary") ? settings.strings("primary") : taskNames;
    for (String task : primary) {
      if (!taskNames.contains(task)) {
        settings.problem("primary", primary, "names '" + task + "', which is not a task of this run; tasks: " + taskNames);
      }
    }
    int n = taskNames.size();
    double[] lambda = Matrices.filled(n, initial);
    ScalarAdam adam = new ScalarAdam(n, learningRate);
    return new MetaBatchWeighting() {
      @Override
      public double[] weights(WeightingInput input) {
        MetaGradients meta = meta(input, "auto-lambda");
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] w = new double[index.length];
        for (int t = 0; t < index.length; t++) {
          double hypergradient = 0;
          for (int s = 0; s < index.length; s++) {
            if (primary.contains(input.tasks().get(s))) {
              hypergradient -= meta.alignment(s, t);
            }
          }
          int k = index[t];
          adam.step(lambda, k, hypergradient);
          lambda[k] = Math.max(lambda[k], 0);
          w[t] = lambda[k];
        }
        return w;
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("lambda", lambda.clone());
        adam.saveTo(state, "adam.");
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("lambda"), 0, lambda, 0, n);
        adam.restoreFrom(state, "adam.");
      }
    };
  }
}
