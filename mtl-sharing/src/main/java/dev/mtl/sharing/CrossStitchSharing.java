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
import java.util.Set;

/**
 * Cross-stitch networks (Misra et al. 2016): one encoder column per task over a shared embedding;
 * after each of the {@code layers} encoder layers a learned T x T matrix mixes the columns, each
 * column continuing with {@code Σ_j α[t][j] · column_j}. α starts at {@code self-weight} on the
 * diagonal; {@code train-mixing: false} keeps it fixed (at self-weight 1 the columns are separate).
 *
 * <pre>
 * sharing: {type: cross-stitch, layers: 1, self-weight: 0.9}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class CrossStitchSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "cross-stitch";
  }

  @Override
  public String description() {
    return "a column per task, mixed by a learned T x T matrix after each layer";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int depth = settings.integer("layers", 1, 1, 4);
    double selfWeight = settings.number("self-weight", 0.9, 0, 1);
    boolean trainMixing = settings.bool("train-mixing", true);
    return (model, heads) -> {
      List<Layer> layers = new ArrayList<>();
      layers.add(Parts.sharedEmbedding(model));
      List<String> inputs = new ArrayList<>();
      heads.forEach(h -> inputs.add(Parts.EMBEDDING));
      List<String> units = new ArrayList<>();
      for (int level = 1; level <= depth; level++) {
        List<String> encoded = new ArrayList<>();
        for (int t = 0; t < heads.size(); t++) {
          String id = "column." + heads.get(t).task() + ".layer" + level + ".encoder";
          layers.add(Parts.encoder(id, inputs.get(t), model));
          encoded.add(id);
        }
        String unit = "stitch" + level;
        units.add(unit);
        for (int t = 0; t < heads.size(); t++) {
          String id = "column." + heads.get(t).task() + ".layer" + level + ".stitched";
          layers.add(new Layer.Mix(id, encoded, t, unit, selfWeight));
          inputs.set(t, id);
        }
      }
      List<Head> out = new ArrayList<>();
      for (int t = 0; t < heads.size(); t++) {
        String pool = "column." + heads.get(t).task() + ".pool";
        layers.add(Parts.pool(pool, inputs.get(t), model));
        out.add(Parts.head(heads.get(t), pool, model));
      }
      return new ModelGraph(layers, out, List.of(), trainMixing ? Set.of() : Set.copyOf(units));
    };
  }
}
