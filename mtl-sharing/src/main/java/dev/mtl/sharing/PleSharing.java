package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.model.SharingStrategy.HeadRequest;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Progressive layered extraction (PLE, Tang, Liu, Zhao and Gong, "Progressive Layered Extraction
 * (PLE): A Novel Multi-Task Learning (MTL) Model for Personalized Recommendations", RecSys 2020).
 * Each of {@code levels} extraction levels has {@code shared-experts} encoders every task may use
 * and {@code task-experts} encoders per task that only that task uses. At every level each task's
 * gate (a softmax over its own and the shared experts, from its input pooled: the embeddings' mean
 * at level 1) mixes those
 * experts for the next level; a shared gate over all experts feeds the next level's shared experts.
 * Below the top the gates mix the experts' sequences, so the next level's encoders read them; at
 * the top each task's gate mixes the pooled experts and its head reads the result. With one level
 * this is the paper's CGC ({@link CgcSharing}). Unlike MMoE, a task's private experts cannot be
 * taken over by another task, which the paper shows reduces the seesaw of one task improving at
 * another's cost.
 *
 * <pre>
 * sharing: {type: ple, levels: 2, shared-experts: 2, task-experts: 1}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class PleSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "ple";
  }

  @Override
  public String description() {
    return "levels of shared and task-specific expert encoders with a gate per task at every level (PLE, Tang et al. 2020)";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int levels = settings.integer("levels", 2, 1, 8);
    int shared = settings.integer("shared-experts", 2, 1, 32);
    int perTask = settings.integer("task-experts", 1, 1, 32);
    return (model, heads) -> describe(model, heads, levels, shared, perTask);
  }

  /** The PLE graph; CGC is its one-level case. */
  static ModelGraph describe(ModelSpec model, List<HeadRequest> heads, int levels, int shared, int perTask) {
    List<Layer> layers = new ArrayList<>();
    layers.add(Parts.sharedEmbedding(model));
    // What each level reads: the embedding at first, then the level below's gate outputs.
    String sharedInput = Parts.EMBEDDING;
    List<String> taskInputs = new ArrayList<>();
    heads.forEach(h -> taskInputs.add(Parts.EMBEDDING));
    List<Head> out = new ArrayList<>();
    for (int level = 1; level <= levels; level++) {
      boolean top = level == levels;
      String prefix = "level" + level + ".";
      List<String> sharedExperts = new ArrayList<>();
      for (int e = 1; e <= shared; e++) {
        sharedExperts.add(expert(layers, prefix + "shared.expert" + e, sharedInput, model, top));
      }
      List<String> allExperts = new ArrayList<>(sharedExperts);
      List<List<String>> ownExperts = new ArrayList<>();
      for (int t = 0; t < heads.size(); t++) {
        List<String> own = new ArrayList<>();
        for (int e = 1; e <= perTask; e++) {
          own.add(expert(layers, prefix + heads.get(t).task() + ".expert" + e, taskInputs.get(t), model, top));
        }
        ownExperts.add(own);
        allExperts.addAll(own);
      }
      List<String> nextTaskInputs = new ArrayList<>();
      for (int t = 0; t < heads.size(); t++) {
        String task = heads.get(t).task();
        List<String> candidates = new ArrayList<>(ownExperts.get(t));
        candidates.addAll(sharedExperts);
        String gate = prefix + "gate." + task;
        layers.add(new Layer.Gate(gate, candidates, gateInput(layers, prefix + "gate-input." + task, taskInputs.get(t), model)));
        nextTaskInputs.add(gate);
        if (top) {
          out.add(Parts.head(heads.get(t), gate, model));
        }
      }
      if (!top) {
        String gate = prefix + "gate.shared";
        layers.add(new Layer.Gate(gate, allExperts, gateInput(layers, prefix + "gate-input.shared", sharedInput, model)));
        sharedInput = gate;
        taskInputs.clear();
        taskInputs.addAll(nextTaskInputs);
      }
    }
    return new ModelGraph(layers, out);
  }

  /** An expert encoder over {@code input}; at the top level pooled, since the heads' gates mix vectors. */
  private static String expert(List<Layer> layers, String id, String input, ModelSpec model, boolean top) {
    layers.add(Parts.encoder(id + ".encoder", input, model));
    if (!top) {
      return id + ".encoder";
    }
    layers.add(Parts.pool(id + ".pool", id + ".encoder", model));
    return id + ".pool";
  }

  /**
   * What a gate decides from: at level 1 the mean of the embeddings (one layer for every gate, as
   * MMoE's), above it the model's pooling of the gate's input sequence.
   */
  private static String gateInput(List<Layer> layers, String id, String input, ModelSpec model) {
    String embeddingMean = "shared.gate-input";
    if (input.equals(Parts.EMBEDDING)) {
      if (layers.stream().noneMatch(l -> l.id().equals(embeddingMean))) {
        layers.add(new Layer.Pool(embeddingMean, Parts.EMBEDDING, PoolKind.MEAN));
      }
      return embeddingMean;
    }
    layers.add(Parts.pool(id, input, model));
    return id;
  }
}
