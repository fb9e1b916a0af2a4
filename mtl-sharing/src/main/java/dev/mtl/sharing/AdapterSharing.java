package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-task bottleneck adapters inside one shared pretrained transformer (Houlsby et al., ICML
 * 2019, "Parameter-Efficient Transfer Learning for NLP"): every task runs the transformer with its
 * own adapters after each block's attention and feed-forward outputs, then its own head. The
 * transformer is shared and trains as {@code model.pretrained-encoder.train-layers} says; with
 * {@code train-layers: 0} only the adapters and heads train (a few percent of the parameters),
 * Houlsby's parameter-efficient setting. Needs a fine-tuned transformer ({@code
 * model.pretrained-encoder} with {@code mode: fine-tune}). Each task's pass is its own, so a batch
 * labelled for T tasks costs T transformer passes.
 *
 * <pre>
 * sharing: {type: adapters, size: 64}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class AdapterSharing implements SharingStrategyProvider {
  static final String TRANSFORMER = Parts.EMBEDDING;

  @Override
  public String name() {
    return "adapters";
  }

  @Override
  public String description() {
    return "per-task bottleneck adapters inside a shared pretrained transformer (Houlsby et al. 2019)";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int size = settings.integer("size", 64, 1, 4096);
    return (model, heads) -> {
      if (model.transformer() == null) {
        throw new IllegalArgumentException("sharing adapters puts adapters inside a pretrained transformer, but the model has none;"
            + " set model.pretrained-encoder with mode: fine-tune, or choose another sharing");
      }
      List<Layer> layers = new ArrayList<>();
      layers.add(Parts.sharedEmbedding(model));
      List<Head> out = new ArrayList<>();
      for (SharingStrategy.HeadRequest head : heads) {
        String prefix = "adapted." + head.task() + ".";
        layers.add(new Layer.AdaptedTransformer(prefix + "transformer", TRANSFORMER, size));
        layers.add(Parts.encoder(prefix + "encoder", prefix + "transformer", model));
        layers.add(Parts.pool(prefix + "pool", prefix + "encoder", model));
        out.add(Parts.head(head, prefix + "pool", model));
      }
      return new ModelGraph(layers, out);
    };
  }
}
