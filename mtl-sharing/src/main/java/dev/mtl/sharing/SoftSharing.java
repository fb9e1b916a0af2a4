package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Soft parameter sharing (Duong et al. 2015; Yang and Hospedales 2017): one encoder column per
 * task, pulled together by {@code lambda · Σ_{i<j} ‖θ_i − θ_j‖²} ({@code distance: pairwise}) or
 * {@code lambda · Σ_i ‖θ_i − mean(θ)‖²} ({@code distance: mean}). The embedding is shared unless
 * {@code share-embedding: false}, which gives each task its own, penalised the same way.
 *
 * <pre>
 * sharing: {type: soft, lambda: 0.001, distance: pairwise, share-embedding: true}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class SoftSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "soft";
  }

  @Override
  public String description() {
    return "a column per task, pulled together by an L2 distance penalty";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    double lambda = settings.number("lambda", 1e-3, 0, 1e6);
    Penalty.Kind kind = settings.oneOf("distance", "pairwise", Set.of("pairwise", "mean")).equals("mean")
        ? Penalty.Kind.DISTANCE_TO_MEAN : Penalty.Kind.PAIRWISE_DISTANCE;
    boolean shareEmbedding = settings.bool("share-embedding", true);
    return (model, heads) -> describe(model, heads, lambda, kind, shareEmbedding);
  }

  static ModelGraph describe(ModelSpec model, List<SharingStrategy.HeadRequest> heads, double lambda, Penalty.Kind kind, boolean shareEmbedding) {
    List<Layer> layers = new ArrayList<>();
    List<String> embeddings = new ArrayList<>();
    List<String> encoders = new ArrayList<>();
    if (shareEmbedding) {
      layers.add(Parts.sharedEmbedding(model));
    }
    for (SharingStrategy.HeadRequest head : heads) {
      String column = "column." + head.task() + ".";
      String input = Parts.EMBEDDING;
      if (!shareEmbedding) {
        Parts.requireTokenEmbeddings(model, "share-embedding: false");
        input = column + "embedding";
        layers.add(new Layer.Embedding(input, model.embeddingSize(), model.dropout()));
        embeddings.add(input);
      }
      layers.add(Parts.encoder(column + "encoder", input, model));
      encoders.add(column + "encoder");
    }
    List<Head> out = new ArrayList<>();
    for (SharingStrategy.HeadRequest head : heads) {
      String column = "column." + head.task() + ".";
      layers.add(Parts.pool(column + "pool", column + "encoder", model));
      out.add(Parts.head(head, column + "pool", model));
    }
    List<Penalty> penalties = new ArrayList<>();
    penalties.add(new Penalty(kind, lambda, encoders));
    if (!embeddings.isEmpty()) {
      penalties.add(new Penalty(kind, lambda, embeddings));
    }
    return new ModelGraph(layers, out, penalties, Set.of());
  }
}
