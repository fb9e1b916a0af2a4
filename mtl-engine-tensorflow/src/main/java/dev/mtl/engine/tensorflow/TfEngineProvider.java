package dev.mtl.engine.tensorflow;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.spi.EngineProvider;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tensorflow} engine: trains model graphs as TensorFlow graphs (TF Java API) and serves
 * TensorFlow SavedModels through DJL's TensorFlow engine, CPU only. Settings: {@code threads}
 * (TensorFlow's intra-op threads; default one per core). For serving a SavedModel made elsewhere
 * (see docs/tensorflow.md): {@code saved-model} (its folder, default {@code saved_model}), {@code
 * signature} (default {@code serving_default}), {@code input} (the token-id input, default {@code
 * tokens}), {@code input-type} ({@code int64} or {@code int32}), {@code outputs} (task: output name;
 * default the task's name) and {@code scores} ({@code probabilities}, the default, or {@code
 * logits}). Never downloads: the natives come from {@code org.tensorflow:tensorflow-core-native}.
 */
@AutoService(EngineProvider.class)
public final class TfEngineProvider implements EngineProvider {
  public static final String NAME = "tensorflow";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "TensorFlow: trains through TF Java graphs, serves SavedModels through DJL's TensorFlow engine (CPU)";
  }

  @Override
  public Engine create(ConfigSection settings) {
    int threads = settings.integer("threads", 0, 0, 1024);
    settings.oneOf("device", "cpu", Set.of("cpu"));
    String savedModel = settings.string("saved-model", TfNetwork.SAVED_MODEL_DIR);
    String key = settings.string("signature", "serving_default");
    String input = settings.string("input", TfNetwork.TOKENS_INPUT);
    boolean intInput = settings.oneOf("input-type", "int64", Set.of("int64", "int32")).equals("int32");
    boolean logits = settings.oneOf("scores", "probabilities", Set.of("probabilities", "logits")).equals("logits");
    Map<String, String> outputs = new LinkedHashMap<>();
    if (settings.has("outputs")) {
      ConfigSection section = settings.section("outputs");
      section.values().keySet().forEach(task -> outputs.put(task, section.requiredString(task)));
    }
    return new TfEngine(NAME, threads, savedModel, key, input, intInput, outputs, logits);
  }
}
