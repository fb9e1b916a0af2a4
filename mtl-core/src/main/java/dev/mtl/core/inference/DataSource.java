package dev.mtl.core.inference;

import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.text.FeatureCache;
import dev.mtl.core.text.TextEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Texts encoded once, with the targets of every task labelled on exactly these texts. Tasks whose
 * data files hold the same texts in the same order (several label sets over one corpus) share a
 * source, so each batch runs the shared layers once for all of them.
 */
public final class DataSource {
  private final List<String> texts;
  private final int[][] tokens;
  private final float[][] features;
  private final Map<String, float[][]> targets;
  private final Map<String, float[]> rowWeights;

  private DataSource(List<String> texts, int[][] tokens, float[][] features, Map<String, float[][]> targets,
      Map<String, float[]> rowWeights) {
    this.texts = texts;
    this.tokens = tokens;
    this.features = features;
    this.targets = targets;
    this.rowWeights = rowWeights;
  }

  /** Groups tasks by identical text lists, keeping the first task's order, and encodes each group once. */
  public static List<DataSource> group(Map<String, TaskData> dataByTask, TextEncoder encoder) {
    return group(dataByTask, encoder, null);
  }

  /**
   * As {@link #group(Map, TextEncoder)}, with each text's pretrained sentence vector from {@code
   * features} (null: none) for models whose stack starts from a pretrained encoder.
   */
  public static List<DataSource> group(Map<String, TaskData> dataByTask, TextEncoder encoder, FeatureCache features) {
    Map<List<String>, Map<String, float[][]>> groups = new LinkedHashMap<>();
    Map<String, float[]> weights = new LinkedHashMap<>();
    dataByTask.forEach((task, data) -> {
      groups.computeIfAbsent(data.texts(), t -> new LinkedHashMap<>()).put(task, data.targets().toArray(new float[0][]));
      if (data.rowWeights() != null) {
        weights.put(task, data.rowWeights());
      }
    });
    List<DataSource> sources = new ArrayList<>();
    groups.forEach((texts, targets) -> {
      Map<String, float[]> groupWeights = new LinkedHashMap<>();
      targets.keySet().stream().filter(weights::containsKey).forEach(task -> groupWeights.put(task, weights.get(task)));
      int[][] tokens = new int[texts.size()][];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = encoder.encode(texts.get(i));
      }
      try {
        sources.add(new DataSource(texts, tokens, features == null ? null : features.vectors(texts), targets, groupWeights));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the feature cache: " + e.getMessage(), e);
      }
    });
    return sources;
  }

  public int size() {
    return tokens.length;
  }

  public List<String> tasks() {
    return List.copyOf(targets.keySet());
  }

  public int[][] tokens() {
    return tokens;
  }

  /** Each text's pretrained sentence vector, or null when the model has no pretrained encoder. */
  public float[][] features() {
    return features;
  }

  public List<String> texts() {
    return texts;
  }

  public float[][] targets(String task) {
    return targets.get(task);
  }

  /** The same texts with {@code task}'s targets only (training or evaluating one task of a shared corpus). */
  public DataSource only(String task) {
    if (!targets.containsKey(task)) {
      throw new IllegalArgumentException("task '" + task + "' has no targets in this source; its tasks are " + tasks());
    }
    Map<String, float[]> weights = rowWeights.containsKey(task) ? Map.of(task, rowWeights.get(task)) : Map.of();
    return new DataSource(texts, tokens, features, Map.of(task, targets.get(task)), weights);
  }

  /** The examples at {@code indices} as one batch, with every task's targets. */
  public SourceBatch batch(int[] indices) {
    Map<String, float[][]> batchTargets = new LinkedHashMap<>();
    targets.forEach((task, all) -> batchTargets.put(task, new float[indices.length][]));
    Map<String, float[]> batchWeights = new LinkedHashMap<>();
    rowWeights.forEach((task, all) -> batchWeights.put(task, new float[indices.length]));
    for (int i = 0; i < indices.length; i++) {
      for (Map.Entry<String, float[][]> e : targets.entrySet()) {
        batchTargets.get(e.getKey())[i] = e.getValue()[indices[i]];
      }
      for (Map.Entry<String, float[]> e : rowWeights.entrySet()) {
        batchWeights.get(e.getKey())[i] = e.getValue()[indices[i]];
      }
    }
    return new SourceBatch(TokenBatch.of(tokens, features, indices), batchTargets, batchWeights);
  }

}
