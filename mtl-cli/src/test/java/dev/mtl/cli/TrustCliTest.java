package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.training.RunDirectory;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's files are never lost, a model folder cannot reach outside itself, and bad input or a
 * diverged run gets a message naming the file and the fix (issue: trust).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrustCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  private Path train;
  private Path model;

  private Path config(String name, String extra) throws Exception {
    return Files.writeString(dir.resolve(name), "seed: 2\ntasks:\n  - {name: sst2, type: text-classification, train: " + train
        + ", labels: [negative, positive], label-encoding: index}\n"
        + "tokenizer: {type: words, min-frequency: 1}\n"
        + "model: {embedding-size: 8, encoder: cnn, hidden-size: 4}\n"
        + "training: {epochs: 1, batch-size: 16}\n" + extra);
  }

  @BeforeAll
  void trainOnce() throws Exception {
    train = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 120, dir.resolve("data/train.txt"));
    EndToEndTest.Result r = EndToEndTest.run("train", config("base.yaml", "output: base-run\n").toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    model = dir.resolve("base-run/model");
  }

  /** A copy of the trained model folder to tamper with. */
  private Path modelCopy(String name) throws Exception {
    Path copy = dir.resolve(name);
    try (Stream<Path> files = Files.walk(model)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = copy.resolve(model.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return copy;
  }

  @Test
  @DisplayName("an output folder mtl did not make is refused and left untouched; --overwrite writes into it; an mtl run folder is reused")
  void foreignOutputFolder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("project"));
    Files.writeString(folder.resolve("notes.txt"), "mine");
    Files.createDirectories(folder.resolve("model")).resolve("weights.bin");
    Files.writeString(folder.resolve("model/weights.bin"), "mine too");
    Path config = config("foreign.yaml", "output: project\n");
    EndToEndTest.Result refused = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).startsWith("mtl: the run's output folder " + folder + " exists and was not made by mtl")
        .contains("[model, notes.txt]", "pass --overwrite").doesNotContain("Exception");
    try (Stream<Path> left = Files.list(folder)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("notes.txt", "model");
    }
    assertThat(folder.resolve("model/weights.bin")).hasContent("mine too");

    EndToEndTest.Result overwritten = EndToEndTest.run("train", config.toString(), "--quiet", "--overwrite");
    assertThat(overwritten.code()).as(overwritten.err()).isZero();
    assertThat(folder.resolve("notes.txt")).hasContent("mine");
    assertThat(folder.resolve("model/mtl-model.json")).exists();
    assertThat(folder.resolve(RunDirectory.MARKER)).exists();
    EndToEndTest.Result again = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(again.code()).as(again.err()).isZero();
  }

  @Test
  @DisplayName("`output: .` beside a config named config.yaml is refused: the user's commented config stays as written")
  void outputBesideConfig() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("here"));
    String yaml = "# my notes\n" + Files.readString(config("tmp.yaml", "output: .\n"));
    Path config = Files.writeString(folder.resolve("config.yaml"), yaml);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("exists and was not made by mtl", "[config.yaml]");
    assertThat(config).hasContent(yaml);
  }

  @Test
  @DisplayName("a run name cannot lead outside the runs folder")
  void runNameStaysInside() throws Exception {
    EndToEndTest.Result r = EndToEndTest.run("train", config("escape.yaml", "name: ../../x\n").toString(), "--quiet");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("`name` was '../../x' but it must be letters, digits, '_', '-' or '.', starting with a letter or digit");
  }

  @Test
  @DisplayName("a label listed in `labels` that no training row has is a warning at the start, even with --quiet")
  void untrainedLabelWarned() throws Exception {
    Path config = Files.writeString(dir.resolve("three.yaml"), Files.readString(config("t.yaml", "output: three-run\n"))
        .replace("labels: [negative, positive]", "labels: [negative, positive, neutral]"));
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("warning: task 'sst2' has no training rows for label [neutral]; the model cannot learn to predict it");
  }

  @Test
  @DisplayName("a diverged run stops with a message (no exception class), and its log says so")
  void divergedRunLogged() throws Exception {
    Path config = Files.writeString(dir.resolve("nan.yaml"), Files.readString(config("nan0.yaml", "output: nan-run\n"))
        .replace("training: {epochs: 1, batch-size: 16}", "training: {epochs: 3, batch-size: 8, optimizer: sgd, learning-rate: 10, log-every: 1}"));
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).isEqualTo(1);
    // Before it, --quiet shows only warnings: this config gives sst2 no dev or test data.
    assertThat(r.err().lines().filter(l -> !l.contains("warning: task 'sst2' has no dev or test data")))
        .singleElement().asString().startsWith("mtl: training stopped: task 'sst2' has the loss").contains("Lower training.learning-rate")
        .doesNotContain("Exception");
    JsonNode stopped = EndToEndTest.lastLogEvent(dir.resolve("nan-run"), "stopped");
    assertThat(stopped.get("reason").asText()).contains("task 'sst2' has the loss");
  }

  @Test
  @DisplayName("damaged manifests get a message with the file: null, cut-off JSON, no tasks")
  void damagedManifest() throws Exception {
    Path copy = modelCopy("damaged");
    Path manifest = copy.resolve("mtl-model.json");
    Files.writeString(manifest, "null");
    assertThat(predictError(copy)).isEqualTo("mtl: " + manifest + " lacks everything (the file holds null); it is not a complete"
        + " model manifest. Restore the model directory or retrain the model.");
    Files.writeString(manifest, "{\"format\": 1, \"engine\": {\"type\": \"djl-pytorch\"");
    assertThat(predictError(copy)).startsWith("mtl: " + manifest + ":1: is not a valid model manifest (Unexpected end-of-input");
    ObjectNode node = (ObjectNode) JSON.readTree(model.resolve("mtl-model.json").toFile());
    node.putArray("tasks");
    Files.writeString(manifest, node.toString());
    assertThat(predictError(copy)).contains(manifest + " lacks tasks");
  }

  @Test
  @DisplayName("paths in a model folder cannot reach outside it: a pretrained encoder or a SavedModel elsewhere is refused, naming the setting")
  void modelPathsStayInside() throws Exception {
    Path copy = modelCopy("outside");
    Path manifest = copy.resolve("mtl-model.json");
    ObjectNode node = (ObjectNode) JSON.readTree(manifest.toFile());
    ObjectNode encoder = ((ObjectNode) node.get("model")).putObject("pretrained-encoder");
    encoder.put("type", "djl").put("model", "/etc/passwd").put("tokenizer", "../../../etc/hosts");
    Files.writeString(manifest, node.toString());
    assertThat(predictError(copy)).contains("`model.pretrained-encoder.model` was '/etc/passwd' but it must name a file inside the model folder " + copy,
        "`model.pretrained-encoder.tokenizer` was '../../../etc/hosts' but it must name a file inside the model folder");

    node = (ObjectNode) JSON.readTree(model.resolve("mtl-model.json").toFile());
    node.remove("sharing");
    ((ObjectNode) node.get("engine")).put("type", "tensorflow").putObject("settings").put("saved-model", "../../..");
    Files.writeString(manifest, node.toString());
    assertThat(predictError(copy)).contains("engine.saved-model was '../../..' but it must name a folder inside the model folder");
  }

  @Test
  @DisplayName("parameters.bin (models saved before safetensors): a negative or enormous shape fails before allocating, NaN is refused")
  void damagedLegacyParameters() throws Exception {
    Path copy = modelCopy("params");
    Files.delete(copy.resolve("parameters/parameters.safetensors"));
    Path file = copy.resolve("parameters/parameters.bin");
    writeParameters(file, "emb.weight", new long[] {-3, 8}, new float[0]);
    assertThat(predictError(copy)).contains(file + " is damaged: it declares tensor 'emb.weight' with the negative dimension -3");
    writeParameters(file, "emb.weight", new long[] {40_000, 40_000}, new float[16]);
    assertThat(predictError(copy)).contains(file + " is damaged: it declares tensor 'emb.weight' of shape [40000, 40000]",
        "where 64 bytes are left");
    writeParameters(file, "emb.weight", new long[] {2}, new float[] {1f, Float.NaN});
    assertThat(predictError(copy)).contains(file + ": tensor 'emb.weight' holds NaN at index 1");
  }

  @Test
  @DisplayName("parameters.safetensors: a range past the data or an enormous shape fails before allocating, a foreign dtype "
      + "and NaN are refused, each naming the file and tensor")
  void damagedSafeTensors() throws Exception {
    Path copy = modelCopy("safetensors");
    Path file = copy.resolve("parameters/parameters.safetensors");
    writeSafeTensors(file, "{\"emb.weight\": {\"dtype\": \"F32\", \"shape\": [40000, 40000], \"data_offsets\": [0, 6400000000]}}", new float[4]);
    assertThat(predictError(copy)).contains(file + " is damaged: it declares tensor 'emb.weight' of shape [40000, 40000]");
    writeSafeTensors(file, "{\"emb.weight\": {\"dtype\": \"F32\", \"shape\": [8], \"data_offsets\": [0, 32]}}", new float[4]);
    assertThat(predictError(copy)).contains("tensor 'emb.weight' of shape [8] (32 bytes) at bytes [0, 32) of 16");
    writeSafeTensors(file, "{\"emb.weight\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", new float[1]);
    assertThat(predictError(copy)).contains("tensor 'emb.weight' of dtype 'F16' (mtl reads F32 only)");
    writeSafeTensors(file, "{\"emb.weight\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", new float[] {1f, Float.NaN});
    assertThat(predictError(copy)).contains(file + ": tensor 'emb.weight' holds NaN at index 1");
  }

  @Test
  @DisplayName("a model saved before safetensors (parameters.bin) still loads and predicts the same")
  void legacyParametersLoad() throws Exception {
    Path copy = modelCopy("legacy");
    EndToEndTest.Result before = EndToEndTest.run("predict", copy.toString(), "a gorgeous film", "a dull one");
    Path parameters = copy.resolve("parameters");
    ParameterFile.write(parameters.resolve("parameters.bin"), ParameterFile.read(parameters.resolve("parameters.safetensors")));
    Files.delete(parameters.resolve("parameters.safetensors"));
    EndToEndTest.Result after = EndToEndTest.run("predict", copy.toString(), "a gorgeous film", "a dull one");
    assertThat(after.code()).as(after.err()).isZero();
    assertThat(after.out()).isEqualTo(before.out());
  }

  private static void writeSafeTensors(Path file, String header, float[] values) throws Exception {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + 4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(json.length).put(json);
    for (float v : values) {
      bytes.putFloat(v);
    }
    Files.write(file, bytes.array());
  }

  @Test
  @DisplayName("a model save killed after the old copy moved aside: predict takes the complete new copy back without manual steps")
  void interruptedSaveRecovered() throws Exception {
    Path copy = modelCopy("interrupted/model");
    Files.move(copy, dir.resolve("interrupted/.model.new-17"));
    EndToEndTest.Result r = EndToEndTest.run("predict", copy.toString(), "a gorgeous film");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(JSON.readTree(r.out()).get("sst2").get("labels")).hasSize(1);
    assertThat(copy.resolve("mtl-model.json")).exists();
  }

  private static String predictError(Path modelDirectory) {
    EndToEndTest.Result r = EndToEndTest.run("predict", modelDirectory.toString(), "x");
    assertThat(r.code()).as(r.out()).isNotZero();
    return r.err().strip();
  }

  private static void writeParameters(Path file, String name, long[] shape, float[] values) throws Exception {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeInt(0x4D544C50);
      out.writeInt(1);
      out.writeInt(1);
      out.writeUTF(name);
      out.writeInt(shape.length);
      for (long d : shape) {
        out.writeLong(d);
      }
      for (float v : values) {
        out.writeFloat(v);
      }
    }
  }
}
