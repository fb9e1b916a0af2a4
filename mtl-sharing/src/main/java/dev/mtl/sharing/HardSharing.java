package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.List;

/**
 * Hard parameter sharing (Caruana 1997): one embedding, one encoder and one pooled representation
 * shared by every task, with a task-specific linear head on top. The pooled vector is the shared
 * representation that gradient-based weightings measure.
 *
 * <pre>
 *   tokens → embedding → encoder → pool ─┬→ head(task 1)
 *                                         ├→ head(task 2)
 *                                         └→ head(task 3)
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class HardSharing implements SharingStrategyProvider, SharingStrategy {
  static final String EMBEDDING = Parts.EMBEDDING;
  static final String ENCODER = "shared.encoder";
  static final String POOL = "shared.pool";

  @Override
  public String name() {
    return "hard";
  }

  @Override
  public String description() {
    return "one shared embedding and encoder, a head per task";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    return this;
  }

  @Override
  public ModelGraph describe(ModelSpec model, List<HeadRequest> heads) {
    List<Layer> layers = List.of(Parts.sharedEmbedding(model), Parts.encoder(ENCODER, EMBEDDING, model), Parts.pool(POOL, ENCODER, model));
    List<Head> out = heads.stream().map(request -> Parts.head(request, POOL, model)).toList();
    return new ModelGraph(layers, out);
  }
}
