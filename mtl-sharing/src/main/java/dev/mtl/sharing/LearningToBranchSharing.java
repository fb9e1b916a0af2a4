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
import java.util.Optional;
import java.util.Set;

/**
 * Learning to Branch (Guo, Lee and Ulbricht, ICML 2020; as LibMTL's {@code LTB}, for text): one
 * encoder column per task over a shared embedding, {@code layers} levels deep; from the second level
 * on, each task's encoder reads one parent among the level below's columns, chosen by learned logits
 * through a hard Gumbel-softmax ({@link Layer.Branching}): in training a sampled parent at a
 * temperature that falls with the steps, at inference the most likely one. Tasks that settle on the
 * same parent share the layers below it, so the tree of shared and task-specific layers is learned
 * with the weights instead of fixed in advance. The chosen tree is in the saved parameters
 * ({@code branch<level>.alpha}, row t: task t's logits over the parents); unlike the paper, the found
 * tree is not retrained from scratch in a second phase.
 *
 * <pre>
 * sharing: {type: learning-to-branch, layers: 2, temperature: 1.0, half-life: 1000}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class LearningToBranchSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "learning-to-branch";
  }

  @Override
  public String description() {
    return "a column per task, each level's encoder reading one parent column chosen by Gumbel-softmax (Guo et al. 2020)";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int depth = settings.integer("layers", 2, 2, 4);
    Layer.Branching branching = new Layer.Branching(settings.number("temperature", 1.0, 1e-3, 100),
        settings.number("half-life", 1000, 1, 1e9));
    return (model, heads) -> {
      List<Layer> layers = new ArrayList<>();
      layers.add(Parts.sharedEmbedding(model));
      int t = heads.size();
      List<String> below = new ArrayList<>();
      for (int k = 0; k < t; k++) {
        String id = column(heads.get(k).task(), 1);
        layers.add(Parts.encoder(id, Parts.EMBEDDING, model));
        below.add(id);
      }
      for (int level = 2; level <= depth; level++) {
        List<String> encoded = new ArrayList<>();
        for (int k = 0; k < t; k++) {
          String parent = "column." + heads.get(k).task() + ".layer" + level + ".parent";
          layers.add(new Layer.Mix(parent, below, k, "branch" + level, 1.0 / t, Optional.of(branching)));
          String id = column(heads.get(k).task(), level);
          layers.add(Parts.encoder(id, parent, model));
          encoded.add(id);
        }
        below = encoded;
      }
      List<Head> out = new ArrayList<>();
      for (int k = 0; k < t; k++) {
        String pool = "column." + heads.get(k).task() + ".pool";
        layers.add(Parts.pool(pool, below.get(k), model));
        out.add(Parts.head(heads.get(k), pool, model));
      }
      return new ModelGraph(layers, out, List.of(), Set.of());
    };
  }

  private static String column(String task, int level) {
    return "column." + task + ".layer" + level + ".encoder";
  }
}
