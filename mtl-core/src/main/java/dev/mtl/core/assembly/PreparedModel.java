package dev.mtl.core.assembly;

import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.model.Layer;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.text.FeatureCache;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.TrainableEncoder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What a run's network is built from: the text encoder fitted on the training texts (its
 * vocabulary extended from word vectors when asked), the word vectors, the training data sources
 * and the model graph. The trainer and the task-affinity run both start here, so they build the
 * same model.
 *
 * @param words the run's word vectors, or null
 * @param trainable the pretrained transformer the graph fine-tunes, or null
 * @param headBiases the heads' biases a new network starts at ({@code model.head-bias: prior},
 *     {@link HeadPriors}); empty when they start at random
 */
public record PreparedModel(TextEncoder encoder, PretrainedWords words, TrainableEncoder trainable, List<DataSource> trainSources,
    ModelGraph graph, Map<String, ParameterFile.Tensor> headBiases) {

  /** @param features where the run's pretrained encoder's vectors are cached, or null without one */
  public static PreparedModel prepare(ResolvedRun run, Map<String, TaskData> train, FeatureCache features)
      throws IOException {
    RunConfig config = run.config();
    TextEncoder encoder = run.tokenizer().fit(distinctTrainingTexts(train));
    PretrainedWords words = null;
    if (config.wordVectors().isPresent()) {
      words = PretrainedWords.load(config.wordVectors().get(), encoder, config.model().embeddingSize());
      encoder = words.encoder();
    }
    List<DataSource> trainSources = DataSource.group(train, encoder, features);
    if (config.training().batchesPerTask()) {
      trainSources = trainSources.stream().flatMap(source -> source.tasks().stream().map(source::only)).toList();
    }
    ModelGraph graph = run.graph();
    if (words != null) {
      graph = words.freezeIfAsked(graph);
    }
    Map<String, ParameterFile.Tensor> headBiases = config.priorHeadBias() ? HeadPriors.biases(graph, train) : Map.of();
    return new PreparedModel(encoder, words, run.trainable(), trainSources, graph, headBiases);
  }

  /** The network the engine builds for this model: its graph over the encoder's vocabulary, its heads' biases if given. */
  public NetworkSpec spec() {
    return new NetworkSpec(graph, encoder.vocabularySize(), encoder.paddingId(), headBiases);
  }

  /** Starts a new network from what the run brings pretrained: word vectors, a transformer's weights. */
  public void startFromPretrained(Network network) {
    if (words != null) {
      words.apply(network, graph);
    }
    if (trainable != null) {
      String id = graph.layers().stream().filter(l -> l instanceof Layer.Transformer).map(Layer::id).findFirst().orElseThrow();
      Map<String, ParameterFile.Tensor> values = new LinkedHashMap<>();
      trainable.weights().forEach((name, tensor) -> values.put(id + "." + name, tensor));
      network.setParameters(values);
    }
  }

  /** Each distinct training corpus once (tasks over the same texts share one). */
  static List<String> distinctTrainingTexts(Map<String, TaskData> train) {
    LinkedHashSet<List<String>> corpora = new LinkedHashSet<>();
    train.values().forEach(d -> corpora.add(d.texts()));
    List<String> texts = new ArrayList<>();
    corpora.forEach(texts::addAll);
    return texts;
  }}
