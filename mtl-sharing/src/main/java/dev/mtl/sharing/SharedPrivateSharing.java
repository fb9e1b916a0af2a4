package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.Penalty;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Shared plus private parameters: each task's encoder uses θ_t = W + W_t, where W is shared and
 * W_t is the task's own part, starting at zero. {@code private-penalty} adds
 * {@code λ · Σ_t ‖W_t‖²} to keep tasks close to the shared part; {@code train-private: false}
 * keeps every W_t at zero, which is hard sharing. {@code private: [embedding, encoder]} gives the
 * embedding private parts too (default: the encoder only).
 *
 * <pre>
 * sharing: {type: shared-private, private-penalty: 0.0001}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class SharedPrivateSharing implements SharingStrategyProvider {
  static final String SHARED_ENCODER = "shared.encoder";

  @Override
  public String name() {
    return "shared-private";
  }

  @Override
  public String description() {
    return "per-task parameters W + W_t: a shared part plus a private part per task";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    double penalty = settings.number("private-penalty", 0, 0, 1e6);
    boolean trainPrivate = settings.bool("train-private", true);
    List<String> parts = settings.has("private") ? settings.strings("private") : List.of("encoder");
    if (parts.isEmpty() || !Set.of("embedding", "encoder").containsAll(parts)) {
      settings.problem("private", parts, "must list one or both of [embedding, encoder]");
    }
    boolean privateEmbedding = parts.contains("embedding");
    return (model, heads) -> {
      List<Layer> layers = new ArrayList<>();
      layers.add(Parts.sharedEmbedding(model));
      // The shared encoder is a parameter base only; each task runs its own W + W_t.
      layers.add(Parts.encoder(SHARED_ENCODER, Parts.EMBEDDING, model));
      List<String> privates = new ArrayList<>();
      List<Head> out = new ArrayList<>();
      for (SharingStrategy.HeadRequest head : heads) {
        String prefix = "private." + head.task() + ".";
        String input = Parts.EMBEDDING;
        if (privateEmbedding) {
          Parts.requireTokenEmbeddings(model, "parts: [embedding, ...]");
          input = prefix + "embedding";
          layers.add(new Layer.Embedding(input, model.embeddingSize(), model.dropout(), Optional.of(Parts.EMBEDDING)));
          privates.add(input);
        }
        layers.add(Parts.encoder(prefix + "encoder", input, model, SHARED_ENCODER));
        privates.add(prefix + "encoder");
        layers.add(Parts.pool(prefix + "pool", prefix + "encoder", model));
        out.add(Parts.head(head, prefix + "pool", model));
      }
      List<Penalty> penalties = penalty > 0 ? List.of(new Penalty(Penalty.Kind.SQUARED_NORM, penalty, privates)) : List.of();
      Set<String> frozen = trainPrivate ? Set.of() : new HashSet<>(privates);
      return new ModelGraph(layers, out, penalties, frozen);
    };
  }
}
