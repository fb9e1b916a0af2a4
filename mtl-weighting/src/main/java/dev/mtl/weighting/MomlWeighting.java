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
import java.util.Set;

/**
 * MOML, multi-objective meta learning (Ye, Lin, Yue, Guo, Xiao and Zhang, "Multi-Objective Meta
 * Learning", NeurIPS 2021; the efficient form in the FORUM authors' code). The weights
 * {@code λ = softmax(ξ)} are the upper level of a bilevel problem whose objectives are every task's
 * meta-batch loss. Each objective's first-order hypergradient on ξ is
 * {@code H_s = −Σ_t ⟨h_s, g_t⟩ J_t} (J the softmax Jacobian; see {@link MetaBatchWeighting}); the
 * objectives are combined by MGDA's min-norm point (a direction that lowers every meta loss, zero
 * at a Pareto-stationary λ) or, with {@code aggregate: equal}, summed, and Adam steps ξ. The step
 * then trains with the new λ (which sums to 1). ξ and Adam's moments are saved with checkpoints.
 *
 * <pre>
 * weighting: {type: moml, learning-rate: 0.001, aggregate: mgda}
 * </pre>
 */
@AutoService(LossWeightingProvider.class)
public final class MomlWeighting implements LossWeightingProvider {
  @Override
  public String name() {
    return "moml";
  }

  @Override
  public String description() {
    return "softmax weights meta-learned by MGDA over every task's loss on a second batch (MOML, Ye et al. 2021)";
  }

  @Override
  public LossWeighting create(ConfigSection settings, List<String> taskNames) {
    double learningRate = settings.number("learning-rate", 1e-3, 1e-8, 10);
    boolean mgda = settings.oneOf("aggregate", "mgda", Set.of("mgda", "equal")).equals("mgda");
    int n = taskNames.size();
    double[] logits = new double[n];
    ScalarAdam adam = new ScalarAdam(n, learningRate);
    return new MetaBatchWeighting() {
      @Override
      public double[] weights(WeightingInput input) {
        MetaGradients meta = meta(input, "moml");
        int[] index = TaskIndex.of(taskNames, input.tasks());
        double[] direction = direction(meta, FamoWeighting.softmax(logits, index), mgda);
        for (int t = 0; t < index.length; t++) {
          adam.step(logits, index[t], direction[t]);
        }
        return FamoWeighting.softmax(logits, index);
      }

      @Override
      public Map<String, double[]> state() {
        Map<String, double[]> state = new LinkedHashMap<>();
        state.put("logits", logits.clone());
        adam.saveTo(state, "adam.");
        return state;
      }

      @Override
      public void restore(Map<String, double[]> state) {
        System.arraycopy(state.get("logits"), 0, logits, 0, n);
        adam.restoreFrom(state, "adam.");
      }
    };
  }

  /** The meta losses' hypergradients on the logits at weights z, combined by min-norm (MGDA) or summed. */
  static double[] direction(MetaGradients meta, double[] z, boolean mgda) {
    int n = z.length;
    double[][] jacobian = MetaBatchWeighting.softmaxJacobian(z);
    double[][] hypergradients = new double[n][n];
    for (int s = 0; s < n; s++) {
      for (int t = 0; t < n; t++) {
        double a = meta.alignment(s, t);
        for (int k = 0; k < n; k++) {
          hypergradients[s][k] -= a * jacobian[t][k];
        }
      }
    }
    double[] combination = Matrices.filled(n, 1);
    if (mgda) {
      double[][] gram = new double[n][n];
      for (int s = 0; s < n; s++) {
        for (int r = 0; r < n; r++) {
          gram[s][r] = Matrices.dot(hypergradients[s], hypergradients[r]);
        }
      }
      combination = MgdaWeighting.minNormWeights(gram);
    }
    double[] out = new double[n];
    for (int s = 0; s < n; s++) {
      for (int k = 0; k < n; k++) {
        out[k] += combination[s] * hypergradients[s][k];
      }
    }
    return out;
  }
}
