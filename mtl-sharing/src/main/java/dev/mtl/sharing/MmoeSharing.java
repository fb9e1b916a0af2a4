package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Multi-gate mixture of experts (Ma et al. 2018): {@code experts} encoders share the embedding;
 * each task has a softmax gate over them, computed from the mean of the text's embeddings, and
 * its head reads the gated sum of the experts' pooled outputs.
 *
 * <pre>
 * sharing: {type: mmoe, experts: 4}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class MmoeSharing implements SharingStrategyProvider {
  static final String GATE_INPUT = "shared.gate-input";

  @Override
  public String name() {
    return "mmoe";
  }

  @Override
  public String description() {
    return "shared expert encoders with a softmax gate per task";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int experts = settings.integer("experts", 4, 2, 32);
    return (model, heads) -> describe(model, heads, experts, Optional.empty());
  }

  /** Shared experts over the embedding and a gate per task: softmax gates, or DSelect-k's with {@code sparse}. */
  static ModelGraph describe(ModelSpec model, List<SharingStrategy.HeadRequest> heads, int experts, Optional<Layer.DSelect> sparse) {
    List<Layer> layers = new ArrayList<>();
    layers.add(Parts.sharedEmbedding(model));
    List<String> pools = new ArrayList<>();
    for (int e = 1; e <= experts; e++) {
      String prefix = "expert" + e + ".";
      layers.add(Parts.encoder(prefix + "encoder", Parts.EMBEDDING, model));
      layers.add(Parts.pool(prefix + "pool", prefix + "encoder", model));
      pools.add(prefix + "pool");
    }
    layers.add(new Layer.Pool(GATE_INPUT, Parts.EMBEDDING, PoolKind.MEAN));
    List<Head> out = new ArrayList<>();
    for (SharingStrategy.HeadRequest head : heads) {
      String gate = "gate." + head.task();
      layers.add(new Layer.Gate(gate, pools, GATE_INPUT, sparse));
      out.add(Parts.head(head, gate, model));
    }
    return new ModelGraph(layers, out);
  }
}
