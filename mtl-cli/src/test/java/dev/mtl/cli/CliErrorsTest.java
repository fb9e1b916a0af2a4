package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.registry.PluginRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliErrorsTest {
  @TempDir Path dir;

  @Test
  @DisplayName("every command's help renders as written: picocli formats it without warnings (a bare % in a description)")
  void helpRendersCleanly() throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    // picocli reports unformattable descriptions on System.err, not on the command's writer.
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (String command : new CommandLine(new MtlCli()).getSubcommands().keySet()) {
        EndToEndTest.Result r = EndToEndTest.run("help", command);
        assertThat(r.code()).as(command).isZero();
        assertThat(r.out()).as(command).contains("Usage: mtl " + command);
      }
    } finally {
      System.setErr(original);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("WARN");
  }

  @Test
  @DisplayName("-h and --help on every command print its usage and exit 0, before any required parameter is asked for")
  void helpOnEveryCommand() throws Exception {
    for (String command : new CommandLine(new MtlCli()).getSubcommands().keySet()) {
      if (command.equals("help")) {
        continue;
      }
      for (String flag : new String[] {"-h", "--help"}) {
        EndToEndTest.Result r = EndToEndTest.run(command, flag);
        assertThat(r.code()).as(command + " " + flag + ": " + r.err()).isZero();
        assertThat(r.out()).as(command).contains("Usage: mtl " + command);
      }
    }
  }

  @Test
  @DisplayName("bare mtl lists every command with a whole-sentence summary and exits 2; the completion script names them all")
  void bareMtlListsEveryCommand() throws Exception {
    EndToEndTest.Result r = EndToEndTest.run();
    assertThat(r.code()).isEqualTo(2);
    CommandLine cli = new CommandLine(new MtlCli());
    for (var sub : cli.getSubcommands().entrySet()) {
      assertThat(r.err()).contains(sub.getKey());
      String[] header = sub.getValue().getCommandSpec().usageMessage().header();
      if (!sub.getKey().equals("help")) {
        // The command list shows the header: one sentence, ending in a full stop, on one line.
        assertThat(header).as(sub.getKey()).hasSize(1);
        assertThat(header[0]).as(sub.getKey()).endsWith(".");
        assertThat(r.err().replaceAll("\\s+", " ")).contains(header[0]);
      }
    }
    EndToEndTest.Result completion = EndToEndTest.run("generate-completion");
    assertThat(completion.code()).isZero();
    assertThat(completion.out()).contains("complete -F", "train", "predict", "--threshold");
  }

  @Test
  @DisplayName("a setting from task-defaults that is wrong is named once per task that took it, at its line in task-defaults")
  void taskDefaultsErrorLines() throws Exception {
    Path data = Files.writeString(dir.resolve("data.tsv"), "good film\t1\nbad film\t0\n");
    Path config = Files.writeString(dir.resolve("defaults.yaml"), """
        task-defaults:
          type: text-classification
          format: tvs
          labels: [negative, positive]
          label-encoding: index
        tasks:
          - name: a
            train: data.tsv
          - name: b
            train: data.tsv
            format: tsv
            label-encoding: indx
        """);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Invalid config " + config + ": 2 problems",
        "`tasks[0].format` was 'tvs' but it must be one of [csv, jsonl, label-text, tsv] (" + config + ":3)",
        "`tasks[1].label-encoding` was 'indx' but it must be one of", config + ":12)");
    assertThat(data).exists();
  }

  @Test
  @DisplayName("an invalid config exits 2 listing every problem with file:line, before any training")
  void invalidConfig() throws Exception {
    Path config = Files.writeString(dir.resolve("bad.yaml"), """
        tasks:
          - name: a
            type: text-clasification
            train: x.tsv
          - name: b
            type: text-classification
            format: tvs
            train: missing.txt
        sharing: hrad
        model: {encoder: transformer}
        """);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("Invalid config " + config + ": 5 problems",
        "`tasks[0].type` was 'text-clasification' but it must name a known task type; available: [text-classification] (" + config + ":3)",
        "`tasks[1].format` was 'tvs' but it must be one of [csv, jsonl, label-text, tsv] (" + config + ":7)",
        "`tasks[1].train` was 'missing.txt' but it must name an existing file",
        "`model.encoder` was 'transformer' but it must be one of [bilstm, cnn, mean] (" + config + ":10)",
        "`sharing.type` was 'hrad' but it must name a known sharing strategy; available: [adapters, asp, cgc, cross-stitch, dselect-k, hard, hierarchical, learning-to-branch, mmoe, mtan, ple, shared-private, soft]");
  }

  @Test
  @DisplayName("strategy options that do not fit are rejected when the config loads, naming the option and the valid range")
  void strategyOptionsChecked() throws Exception {
    Files.writeString(dir.resolve("t.txt"), "0 a\n1 b\n");
    Path config = Files.writeString(dir.resolve("h.yaml"), """
        tasks:
          - {name: a, type: text-classification, train: t.txt}
          - {name: b, type: text-classification, train: t.txt}
        model: {encoder: mean}
        sharing:
          type: hierarchical
          layers: 2
          depth: {a: 3}
          feed-labels: [b]
        """);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("`sharing.depth.a` was '3' but it must be a whole number between 1 and 2 (" + config + ":8)",
        "`sharing.feed-labels` was 'b' but it must name tasks attached below the top layer (depth 1 to 1)");
    Path mean = Files.writeString(dir.resolve("m.yaml"), Files.readString(config).replace("depth: {a: 3}", "depth: {a: 1}").replace("feed-labels: [b]", ""));
    EndToEndTest.Result stacked = EndToEndTest.run("train", mean.toString());
    assertThat(stacked.code()).isEqualTo(2);
    assertThat(stacked.err()).contains("`sharing.type` was 'hierarchical' but it cannot build this model: hierarchical sharing stacks encoder layers, so `model.encoder` must be cnn or bilstm, not mean");
  }

  @Test
  @DisplayName("a weighting whose gradients the model cannot give fails before training, saying which choice works")
  void impossibleWeightingRejected() throws Exception {
    Files.writeString(dir.resolve("t.txt"), "0 a\n1 b\n");
    Files.writeString(dir.resolve("u.txt"), "0 c\n1 d\n");
    Path soft = Files.writeString(dir.resolve("soft.yaml"), """
        tasks:
          - {name: a, type: text-classification, train: t.txt}
          - {name: b, type: text-classification, train: t.txt}
        sharing: {type: soft, share-embedding: false}
        weighting: mgda
        training: {gradient-conflict: parameters}
        """);
    EndToEndTest.Result r = EndToEndTest.run("train", soft.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("`weighting.type` was 'mgda' but it cannot work here: weighting 'mgda' needs the Gramian of task gradients"
        + " on the shared representation, but the model has no representation that every task's loss passes through", "(" + soft + ":5)",
        "use a weighting that needs losses only (equal, fixed, uncertainty, dwa, rlw, gls)");
    Path measured = Files.writeString(dir.resolve("measured.yaml"), Files.readString(soft).replace("weighting: mgda", "weighting: equal"));
    EndToEndTest.Result m = EndToEndTest.run("train", measured.toString());
    assertThat(m.code()).isEqualTo(2);
    assertThat(m.err()).contains("`training.gradient-conflict` was 'parameters' but it cannot be measured here: no trainable parameter is shared",
        "(" + measured + ":6)");
    // Hard sharing over two corpora: no one representation holds both tasks' gradients; the shared parameters do.
    Path twoCorpora = Files.writeString(dir.resolve("two.yaml"), """
        tasks:
          - {name: a, type: text-classification, train: t.txt}
          - {name: b, type: text-classification, train: u.txt}
        weighting: {type: upgrad, gramian: representation}
        """);
    EndToEndTest.Result two = EndToEndTest.run("train", twoCorpora.toString());
    assertThat(two.code()).isEqualTo(2);
    assertThat(two.err()).contains("`weighting.gramian` was 'representation' but it cannot work here", "the tasks read different texts [[a], [b]]",
        "set 'gramian: parameters'", "(" + twoCorpora + ":4)");
  }

  @Test
  @DisplayName("bad data exits 1 naming file, line and the fix")
  void badData() throws Exception {
    Path data = Files.writeString(dir.resolve("train.txt"), "1 good text\n7 unknown label here\n");
    Path config = Files.writeString(dir.resolve("run.yaml"), """
        tasks:
          - {name: a, type: text-classification, labels: [x, y], label-encoding: index, train: train.txt}
        """);
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(data + ":2: has the unknown label '7'; known labels: indices 0..1", "bad-rows: skip");
  }

  @Test
  @DisplayName("usage errors exit 2; --help and plugins exit 0")
  void usage() {
    assertThat(EndToEndTest.run().code()).isEqualTo(2);
    assertThat(EndToEndTest.run("train").code()).isEqualTo(2);
    EndToEndTest.Result help = EndToEndTest.run("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("train", "eval", "predict", "plugins");
    assertThat(EndToEndTest.run("predict", dir.resolve("none").toString(), "x").err()).contains("is not an mtl model directory");
  }

  @Test
  @DisplayName("mtl plugins lists every built-in plugin with what it does; --json gives the same with class, version and jar")
  void plugins() throws Exception {
    EndToEndTest.Result r = EndToEndTest.run("plugins");
    assertThat(r.code()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).matches("kind +name +description \\(jar\\)");
    assertThat(lines).anySatisfy(l -> assertThat(l).matches("sharing +hard +one shared embedding and encoder, a head per task \\(\\S+\\)"))
        .anySatisfy(l -> assertThat(l).matches("task +text-classification +\\S.* \\(\\S+\\)"))
        .anySatisfy(l -> assertThat(l).matches("engine +djl-pytorch +\\S.*"));
    EndToEndTest.Result json = EndToEndTest.run("plugins", "--json");
    assertThat(json.code()).isZero();
    JsonNode document = new ObjectMapper().readTree(json.out());
    assertThat(document.get("schema_version").asInt()).isEqualTo(1);
    List<String> named = new ArrayList<>();
    for (JsonNode plugin : document.get("plugins")) {
      named.add(plugin.get("kind").asText() + " " + plugin.get("name").asText() + " " + plugin.get("class_name").asText()
          + " " + plugin.get("location").asText());
      // Every built-in plugin says what it is.
      assertThat(plugin.get("description").asText()).as(plugin.toString()).isNotBlank();
    }
    assertThat(named).hasSize(lines.size() - 1).contains(
        "task text-classification dev.mtl.tasks.text.TextClassificationProvider " + location("mtl-tasks-text"),
        "sharing hard dev.mtl.sharing.HardSharing " + location("mtl-sharing"),
        "sharing asp dev.mtl.sharing.AdversarialSharedPrivateSharing " + location("mtl-sharing"))
        .anySatisfy(l -> assertThat(l).startsWith("weighting equal dev.mtl.weighting.EqualWeighting "))
        .anySatisfy(l -> assertThat(l).startsWith("engine djl-pytorch dev.mtl.engine.pytorch.PyTorchEngineProvider "));
  }

  private static String location(String module) {
    return PluginRegistry.load().describe().stream()
        .filter(p -> p.location().contains(module)).findFirst().orElseThrow().location();
  }
}
