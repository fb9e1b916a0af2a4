package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Adversarial shared-private sharing (Liu, Qiu and Huang, ACL 2017): a shared encoder and a
 * private encoder per task over one shared embedding; each task's head reads both pooled vectors
 * side by side. Two extra losses keep the parts apart:
 *
 * <ul>
 *   <li>a task discriminator reads the shared vector through a gradient reversal: it learns which
 *       task's data a text comes from while the shared encoder learns to hide it, so the shared
 *       space keeps what the tasks have in common ({@code adversarial-weight}, 0 turns it off;
 *       it needs tasks with data sources of their own, see {@link
 *       AuxiliaryLoss.TaskDiscriminator});
 *   <li>an orthogonality penalty between each task's private and shared vectors, so the private
 *       encoder learns what the shared one does not ({@code orthogonality-weight}, 0 turns it off).
 * </ul>
 *
 * <pre>
 *   tokens → embedding ─┬→ shared encoder → pool ─┬→ [shared ; private_t] → head(t)
 *                       │                          └→ gradient reversal → task discriminator
 *                       └→ private encoder_t → pool ─┘ (orthogonal to shared)
 *
 * sharing: {type: asp, adversarial-weight: 0.05, orthogonality-weight: 0.01}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class AdversarialSharedPrivateSharing implements SharingStrategyProvider {
  static final String SHARED_ENCODER = "shared.encoder";
  static final String SHARED_POOL = "shared.pool";
  static final String REVERSAL = "shared.reversal";
  static final String DISCRIMINATOR = "discriminator";

  @Override
  public String name() {
    return "asp";
  }

  @Override
  public String description() {
    return "adversarial shared-private: shared and private encoders, a task discriminator through gradient reversal, orthogonal features";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    // Defaults are the paper's (λ = 0.05, γ = 0.01).
    double adversarial = settings.number("adversarial-weight", 0.05, 0, 100);
    double orthogonality = settings.number("orthogonality-weight", 0.01, 0, 100);
    return (model, heads) -> {
      List<Layer> layers = new ArrayList<>();
      layers.add(Parts.sharedEmbedding(model));
      layers.add(Parts.encoder(SHARED_ENCODER, Parts.EMBEDDING, model));
      layers.add(Parts.pool(SHARED_POOL, SHARED_ENCODER, model));
      List<Head> out = new ArrayList<>();
      List<AuxiliaryLoss.Pair> pairs = new ArrayList<>();
      for (SharingStrategy.HeadRequest head : heads) {
        String prefix = "private." + head.task() + ".";
        layers.add(Parts.encoder(prefix + "encoder", Parts.EMBEDDING, model));
        layers.add(Parts.pool(prefix + "pool", prefix + "encoder", model));
        layers.add(new Layer.Concat(prefix + "features", List.of(SHARED_POOL, prefix + "pool")));
        out.add(Parts.head(head, prefix + "features", model));
        pairs.add(new AuxiliaryLoss.Pair(head.task(), SHARED_POOL, prefix + "pool"));
      }
      List<AuxiliaryLoss> auxiliary = new ArrayList<>();
      if (adversarial > 0 && heads.size() > 1) {
        layers.add(new Layer.GradientReversal(REVERSAL, SHARED_POOL, 1));
        auxiliary.add(new AuxiliaryLoss.TaskDiscriminator(DISCRIMINATOR, REVERSAL, adversarial));
      }
      if (orthogonality > 0) {
        auxiliary.add(new AuxiliaryLoss.Orthogonality(orthogonality, pairs));
      }
      return new ModelGraph(layers, out, List.of(), Set.of(), auxiliary);
    };
  }
}
