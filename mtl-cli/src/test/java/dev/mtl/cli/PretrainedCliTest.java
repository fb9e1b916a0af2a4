package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * all-MiniLM-L6-v2 as the frozen shared bottom, through the CLI on small real samples of SST-2
 * and TREC (two sources of different texts): the vectors are computed once per distinct text and
 * read from the run's cache afterwards (counted in the training log), the model reloads with its
 * run's test metrics, and every sharing strategy stacks its layers on the encoder.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PretrainedCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private Path config;
  private EndToEndTest.Result first;

  @BeforeAll
  void train() throws Exception {
    String yaml = """
        name: pretrained
        seed: 3
        tasks:
          - name: sst2
            type: text-classification
            format: label-text
            labels: [negative, positive]
            label-encoding: index
            train: %s
            dev: %s
            test: %s
          - name: trec
            type: text-classification
            format: label-text
            labels: [DESC, ENTY, ABBR, HUM, LOC, NUM]
            label-encoding: index
            train: %s
            test: %s
        model:
          pretrained-encoder: {model: all-minilm-l6-v2}
          encoder: cnn
          hidden-size: 32
          dropout: 0.1
        sharing: hard
        training: {epochs: 2, batch-size: 32, learning-rate: 0.003}
        """.formatted(sample("sentence-classic/stsa.binary.train", 600), sample("sentence-classic/stsa.binary.dev", 150),
        sample("sentence-classic/stsa.binary.test", 200), sample("sentence-classic/TREC.train.all", 600),
        sample("sentence-classic/TREC.test.all", 150));
    config = Files.writeString(dir.resolve("run.yaml"), yaml);
    first = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("run"));
  }

  private static Path sample(String relative, int lines) throws Exception {
    return EndToEndTest.firstLines(relative, lines, dir.resolve("data").resolve(relative));
  }

  @Test
  @DisplayName("each distinct text is encoded once; a second run in the same directory encodes none")
  void featuresAreCached() throws Exception {
    assertThat(first.code()).as(first.err()).isZero();
    JsonNode event = EndToEndTest.lastLogEvent(dir.resolve("run"), "features");
    assertThat(event.get("width").asInt()).isEqualTo(384);
    long distinct = event.get("distinct_texts").asLong();
    assertThat(event.get("encoded").asLong()).isEqualTo(distinct);
    // 600 + 150 + 200 SST-2 lines and 600 + 150 TREC lines; a few texts repeat.
    assertThat(distinct).isBetween(1500L, 1700L);

    // Frozen MiniLM vectors carry sentiment: well above chance after two short epochs.
    JsonNode test = JSON.readTree(dir.resolve("run/metrics.json").toFile()).get("test");
    assertThat(test.get("sst2").get("values").get("accuracy").asDouble()).isGreaterThan(0.7);

    EndToEndTest.Result again = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("run"),
        "--set", "training.epochs=1");
    assertThat(again.code()).as(again.err()).isZero();
    JsonNode second = EndToEndTest.lastLogEvent(dir.resolve("run"), "features");
    assertThat(second.get("encoded").asLong()).isZero();
    assertThat(second.get("from_cache").asLong()).isGreaterThanOrEqualTo(distinct);
  }

  @Test
  @DisplayName("cross-validation folds share one feature cache: the second fold encodes nothing")
  void foldsShareTheCache() throws Exception {
    Path out = dir.resolve("cv");
    EndToEndTest.Result r = EndToEndTest.run("cv", config.toString(), "--folds", "2", "--quiet", "--set", "output=" + out,
        "--set", "training.epochs=1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode first = EndToEndTest.lastLogEvent(out.resolve("cv/1-as_configured/fold-1"), "features");
    JsonNode second = EndToEndTest.lastLogEvent(out.resolve("cv/1-as_configured/fold-2"), "features");
    assertThat(first.get("encoded").asLong()).isPositive();
    assertThat(second.get("encoded").asLong()).isZero();
    assertThat(out.resolve("cv/features")).isDirectory();
  }

  @Test
  @DisplayName("pseudo-label rounds share the cache: labelling encodes the unlabelled texts, so the next round encodes nothing")
  void pseudoLabelRoundsShareTheCache() throws Exception {
    String yaml = Files.readString(config).replaceFirst("(    test: [^\\n]*\\n)", "$1    unlabeled: {from-train: 0.5}\n")
        + "pseudo-labels: {rounds: 1, confidence: 0.6}\n";
    Path pseudo = Files.writeString(dir.resolve("pseudo.yaml"), yaml);
    Path out = dir.resolve("pseudo");
    EndToEndTest.Result r = EndToEndTest.run("train", pseudo.toString(), "--quiet", "--set", "output=" + out, "--set", "training.epochs=1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(EndToEndTest.lastLogEvent(out.resolve("round-0"), "features").get("encoded").asLong()).isPositive();
    JsonNode round1 = EndToEndTest.lastLogEvent(out.resolve("round-1"), "features");
    assertThat(round1.get("encoded").asLong()).as("the picks were encoded when the round-0 model labelled them").isZero();
    assertThat(new ObjectMapper().readTree(out.resolve("pseudo-labels.json").toFile())
        .get("rounds").get(1).get("views").get(0).get("pseudo_labels").get("sst2").get("added").asInt()).isPositive();
  }

  @Test
  @DisplayName("the saved model brings its encoder back and reproduces its run's test metrics")
  void reloads() throws Exception {
    Path run = dir.resolve("reload");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + run, "--set", "training.epochs=1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode recorded = JSON.readTree(run.resolve("metrics.json").toFile()).get("test");
    try (MultiTaskModel model = MultiTaskModel.load(run.resolve("model"))) {
      Map<String, TaskData> test = new LinkedHashMap<>();
      test.put("sst2", model.task("sst2").read(dir.resolve("data/sentence-classic/stsa.binary.test")));
      test.put("trec", model.task("trec").read(dir.resolve("data/sentence-classic/TREC.test.all")));
      Map<String, TaskMetrics> metrics = model.evaluate(test);
      metrics.forEach((task, m) -> m.values().forEach((name, value) ->
          assertThat(value).as(task + " " + name).isEqualTo(recorded.get(task).get("values").get(name).asDouble())));
      assertThat(model.predict("What is the capital of France ?").get("trec").labels()).isNotEmpty();
    }
  }

  @Test
  @DisplayName("an encoder of the user's own is copied into the model folder: the model predicts after moving, its encoder files gone")
  void ownEncoderTravelsWithTheModel() throws Exception {
    // The built-in model's files, extracted by the first run, stand in for a model of the user's own.
    Path builtIn = Path.of(System.getenv("DJL_CACHE_DIR"), "mtl", "all-minilm-l6-v2-q");
    Path own = Files.createDirectories(dir.resolve("own-encoder"));
    Files.copy(builtIn.resolve("all-minilm-l6-v2-q.onnx"), own.resolve("encoder.onnx"));
    Files.copy(builtIn.resolve("all-minilm-l6-v2-q-tokenizer.json"), own.resolve("tokenizer.json"));
    Path run = dir.resolve("own-run");
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet", "--set", "output=" + run,
        "--set", "training.epochs=1", "--set", "model.pretrained-encoder.model=" + own.resolve("encoder.onnx"),
        "--set", "model.pretrained-encoder.tokenizer=" + own.resolve("tokenizer.json"),
        "--set", "tasks.sst2.train=" + sample("sentence-classic/stsa.binary.train", 60),
        "--set", "tasks.trec.train=" + sample("sentence-classic/TREC.train.all", 60));
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode encoder = JSON.readTree(run.resolve("model/mtl-model.json").toFile()).get("model").get("pretrained-encoder");
    assertThat(encoder.get("model").asText()).isEqualTo("pretrained-encoder/encoder.onnx");
    assertThat(encoder.get("tokenizer").asText()).isEqualTo("pretrained-encoder/tokenizer-tokenizer.json");
    Path moved = dir.resolve("elsewhere/model");
    Files.createDirectories(moved.getParent());
    Files.move(run.resolve("model"), moved);
    Files.delete(own.resolve("encoder.onnx"));
    Files.delete(own.resolve("tokenizer.json"));
    try (MultiTaskModel model = MultiTaskModel.load(moved)) {
      assertThat(model.predict("What is the capital of France ?").get("trec").labels()).hasSize(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"soft", "shared-private", "hierarchical", "cross-stitch", "mmoe", "asp"})
  @DisplayName("every sharing strategy stacks its layers on the pretrained encoder")
  void everySharingStrategy(String sharing) {
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve(sharing),
        "--set", "sharing.type=" + sharing, "--set", "training.epochs=1", "--set", "training.max-steps-per-epoch=3");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(dir.resolve(sharing).resolve("model/mtl-model.json")).isRegularFile();
  }

  @Test
  @DisplayName("per-task embeddings, frozen-only settings when fine-tuning, layer decay of a frozen encoder, and TensorFlow are refused"
      + " with the reason")
  void refusals() {
    EndToEndTest.Result columns = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("x"),
        "--set", "sharing={type: soft, share-embedding: false}");
    assertThat(columns.code()).isNotZero();
    assertThat(columns.err()).contains("share-embedding: false").contains("shared bottom");
    EndToEndTest.Result tune = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("y"),
        "--set", "model.pretrained-encoder={model: all-minilm-l6-v2, mode: fine-tune, pooling: cls}");
    assertThat(tune.code()).isNotZero();
    assertThat(tune.err()).contains("model.pretrained-encoder.pooling").contains("mode: frozen only");
    EndToEndTest.Result tokenized = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("v"),
        "--set", "model.pretrained-encoder.mode=fine-tune", "--set", "tokenizer={type: words}");
    assertThat(tokenized.code()).isNotZero();
    assertThat(tokenized.err()).contains("`tokenizer`").contains("its own tokenizer");
    EndToEndTest.Result frozenDecay = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("u"),
        "--set", "training.layer-decay=0.9");
    assertThat(frozenDecay.code()).isNotZero();
    assertThat(frozenDecay.err()).contains("`training.layer-decay` was '0.9' but it applies only to a fine-tuned transformer");
    EndToEndTest.Result tunedOnTf = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("w"),
        "--set", "model.pretrained-encoder.mode=fine-tune", "--set", "engine.type=tensorflow");
    assertThat(tunedOnTf.code()).isNotZero();
    assertThat(tunedOnTf.err()).contains("transformer").contains("djl-pytorch");
    EndToEndTest.Result tf = EndToEndTest.run("train", config.toString(), "--set", "output=" + dir.resolve("z"),
        "--set", "engine.type=tensorflow");
    assertThat(tf.code()).isNotZero();
    assertThat(tf.err()).contains("pretrained sentence encoder").contains("djl-pytorch");
  }
}
