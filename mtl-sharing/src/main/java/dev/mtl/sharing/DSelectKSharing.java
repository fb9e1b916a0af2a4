package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.List;
import java.util.Optional;

/**
 * MMoE with DSelect-k gates (Hazimeh et al., NeurIPS 2021; see {@link Layer.DSelect}):
 * {@code experts} shared expert encoders, and per task a gate that learns to select {@code k} of
 * them (each of k selectors settles on one expert through a smooth step, so a task ends up reading
 * few experts instead of a dense softmax mixture). The gate reads the mean of the text's
 * embeddings, as MMoE's does.
 *
 * <pre>
 * sharing: {type: dselect-k, experts: 4, k: 2, gamma: 1.0}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class DSelectKSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "dselect-k";
  }

  @Override
  public String description() {
    return "shared expert encoders; each task's gate learns a sparse choice of k of them (DSelect-k, Hazimeh et al. 2021)";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int experts = settings.integer("experts", 4, 2, 32);
    int k = settings.integer("k", 2, 1, 32);
    double gamma = settings.number("gamma", 1.0, 1e-3, 100);
    if (Integer.bitCount(experts) != 1) {
      settings.problem("experts", experts, "must be a power of two (2, 4, 8, 16 or 32): each selector names an expert by its binary code");
    }
    if (k > experts) {
      settings.problem("k", k, "selects more experts than there are (" + experts + "); lower it or raise `experts`");
    }
    return (model, heads) -> MmoeSharing.describe(model, heads, experts, Optional.of(new Layer.DSelect(k, gamma)));
  }
}
