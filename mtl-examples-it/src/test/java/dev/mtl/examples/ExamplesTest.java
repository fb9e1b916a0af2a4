package dev.mtl.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Uses mtl the way outsiders do: builds the third-party regression plugin and the embedding app
 * as separate Maven projects against the installed mtl artifacts, loads the plugin from its jar
 * through MTL_PLUGIN_PATH, trains the plugin example's mixed classification + regression config as
 * shipped with the CLI, and runs the app on that model.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExamplesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ROOT = Path.of(System.getProperty("mtl.root", "..")).toAbsolutePath().normalize();
  private static final Path WORK = ROOT.resolve("mtl-examples-it/target/examples-it");
  private static final Path PLUGIN_PROJECT = ROOT.resolve("examples/plugin-text-regression");
  private static final Path APP_PROJECT = ROOT.resolve("examples/embedding-app");
  private static final String VERSION = System.getProperty("mtl.version", "0.1.0-SNAPSHOT");

  record Result(int code, String output) {}

  @BeforeAll
  static void requireInstalledArtifacts() throws IOException {
    Path repository = Path.of(System.getProperty("mtl.local.repository", System.getProperty("user.home") + "/.m2/repository"));
    boolean fresh = true;
    for (String module : List.of("mtl-core", "mtl-tasks-text", "mtl-sharing", "mtl-engine-djl-common", "mtl-engine-pytorch",
        "mtl-testkit")) {
      Path built = ROOT.resolve(module + "/target/" + module + "-" + VERSION + ".jar");
      Path installed = repository.resolve("dev/mtl/" + module + "/" + VERSION + "/" + module + "-" + VERSION + ".jar");
      fresh &= Files.exists(built) && Files.exists(installed) && Arrays.equals(Files.readAllBytes(built), Files.readAllBytes(installed));
    }
    String why = "The example projects build against the installed mtl artifacts, and this build has not installed them: "
        + "run `mvn install` (the README's test command).";
    if ("true".equals(System.getenv("CI"))) {
      assertThat(fresh).as(why).isTrue();
    }
    Assumptions.assumeTrue(fresh, why);
    Files.createDirectories(WORK);
  }

  static Result run(Path directory, Map<String, String> environment, String... command) throws Exception {
    Path log = Files.createTempFile(WORK, "process", ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(environment);
    Process process = builder.start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", command));
    }
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  static Result maven(Path project, String... goals) throws Exception {
    List<String> command = new ArrayList<>(List.of("mvn", "-B", "-ntp", "-Dstyle.color=never",
        "-Dmaven.repo.local=" + System.getProperty("mtl.local.repository", System.getProperty("user.home") + "/.m2/repository")));
    command.addAll(List.of(goals));
    return run(project, Map.of(), command.toArray(String[]::new));
  }

  /** The CLI as bin/mtl runs it once built, with the plugin jar on MTL_PLUGIN_PATH. */
  static Result mtl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(javaBinary(), "-cp",
        ROOT.resolve("mtl-cli/target/mtl-cli-" + VERSION + ".jar") + File.pathSeparator + ROOT.resolve("mtl-cli/target/lib/*"),
        "dev.mtl.cli.MtlCli"));
    command.addAll(List.of(args));
    return run(WORK, Map.of("MTL_PLUGIN_PATH", pluginJar().toString(), "DJL_OFFLINE", "true", "OPT_OUT_TRACKING", "true"),
        command.toArray(String[]::new));
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static Path pluginJar() {
    return PLUGIN_PROJECT.resolve("target/mtl-text-regression-1.0.0.jar");
  }

  static Path shared(String relative) {
    return Path.of(System.getProperty("mtl.shared.data")).resolve(relative).normalize();
  }

  static Path sample(String relative, int lines) throws IOException {
    Path target = WORK.resolve("data").resolve(relative);
    Files.createDirectories(target.getParent());
    List<String> all = Files.readAllLines(shared(relative), StandardCharsets.ISO_8859_1);
    Files.write(target, all.subList(0, Math.min(lines, all.size())), StandardCharsets.ISO_8859_1);
    return target;
  }

  @Test
  @Order(0)
  @DisplayName("the distribution archive, unpacked, trains and predicts with only a JDK: no checkout, no Maven on the PATH")
  void distributionRuns() throws Exception {
    Path archive = ROOT.resolve("mtl-cli/target/mtl-" + VERSION + ".tar.gz");
    assertThat(archive).isRegularFile();
    Path unpacked = WORK.resolve("dist");
    run(WORK, Map.of(), "rm", "-rf", unpacked.toString());
    Files.createDirectories(unpacked);
    Result untar = run(unpacked, Map.of(), "tar", "xzf", archive.toString());
    assertThat(untar.code()).as(untar.output()).isZero();
    Path home = unpacked.resolve("mtl-" + VERSION);
    assertThat(home.resolve("bin/mtl")).isExecutable();
    assertThat(home.resolve("lib/mtl-cli-" + VERSION + ".jar")).isRegularFile();
    assertThat(home.resolve("LICENSE")).isRegularFile();
    // A PATH with java and the two tools the launcher uses, and nothing else (no mvn).
    Path tools = Files.createDirectories(WORK.resolve("dist-path"));
    for (String tool : List.of("dirname", "bash")) {
      Path link = tools.resolve(tool);
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, Path.of("/usr/bin", tool).toRealPath());
    }
    Files.deleteIfExists(tools.resolve("java"));
    Files.createSymbolicLink(tools.resolve("java"), Path.of(javaBinary()).toRealPath());
    Path config = Files.writeString(WORK.resolve("dist.yaml"), "name: dist\noutput: dist-run\ntasks:\n"
        + "  - {name: sst2, type: text-classification, labels: [negative, positive], label-encoding: index, train: "
        + sample("sentence-classic/stsa.binary.train", 400) + ", test: " + sample("sentence-classic/stsa.binary.test", 100) + "}\n"
        + "model: {embedding-size: 16, encoder: cnn, hidden-size: 8}\ntraining: {epochs: 1, batch-size: 32}\n");
    Map<String, String> onlyJava = Map.of("PATH", tools.toString(), "HOME", System.getProperty("user.home"));
    Result train = run(WORK, onlyJava, home.resolve("bin/mtl").toString(), "train", config.toString(), "--overwrite");
    assertThat(train.code()).as(train.output()).isZero();
    assertThat(train.output()).doesNotContain("building");
    assertThat(WORK.resolve("dist-run/model/MODEL.md")).isRegularFile();
    assertThat(WORK.resolve("dist-run/model/parameters/parameters.safetensors")).isRegularFile();
    Result predict = run(WORK, onlyJava, home.resolve("bin/mtl").toString(), "predict", WORK.resolve("dist-run/model").toString(), "a gorgeous film");
    assertThat(predict.code()).as(predict.output()).isZero();
    assertThat(JSON.readTree(predict.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow()).get("sst2").get("labels")).hasSize(1);
  }

  @Test
  @Order(1)
  @DisplayName("the plugin builds on its own and passes the testkit contract")
  void pluginBuilds() throws Exception {
    Result build = maven(PLUGIN_PROJECT, "clean", "verify");
    assertThat(build.code()).as(build.output()).isZero();
    assertThat(build.output()).contains("TextRegressionContractTest", "BUILD SUCCESS");
    assertThat(pluginJar()).exists();
  }

  @Test
  @Order(2)
  @DisplayName("mtl plugins lists the third-party task type with its jar")
  void pluginListed() throws Exception {
    Result plugins = mtl("plugins");
    assertThat(plugins.code()).as(plugins.output()).isZero();
    assertThat(plugins.output().lines()).anySatisfy(l -> assertThat(l).matches("task +text-regression +\\S.* \\(mtl-text-regression-1.0.0.jar\\)"));
    Result json = mtl("plugins", "--json");
    assertThat(json.code()).as(json.output()).isZero();
    JsonNode listed = JSON.readTree(json.output().substring(json.output().indexOf('{')));
    assertThat(listed.get("plugins")).anySatisfy(p -> {
      assertThat(p.get("kind").asText() + " " + p.get("name").asText() + " " + p.get("class_name").asText() + " " + p.get("location").asText())
          .isEqualTo("task text-regression com.example.mtl.regression.TextRegressionProvider " + pluginJar());
      assertThat(p.get("description").asText()).isNotBlank();
    });
  }

  @Test
  @Order(3)
  @DisplayName("the shipped mixed-sst.yaml, as its README runs it, trains with falling loss, learns both kinds of task and predicts values beside labels")
  void mixedModelTrains() throws Exception {
    // The example as shipped (full SST-1, SST-2 and SUBJ, 4 epochs, about a minute); only its output
    // goes under target/ instead of the checkout's runs/.
    Path config = PLUGIN_PROJECT.resolve("mixed-sst.yaml");
    Result train = mtl("train", config.toString(), "--overwrite", "--set", "output=" + WORK.resolve("mixed-run"));
    assertThat(train.code()).as(train.output()).isZero();
    JsonNode report = JSON.readTree(WORK.resolve("mixed-run/metrics.json").toFile());
    JsonNode epochs = report.get("epochs");
    for (String task : List.of("sst1", "sst2", "subj")) {
      assertThat(epochs.get(epochs.size() - 1).get("mean_loss").get(task).asDouble()).as(task)
          .isLessThan(0.8 * epochs.get(0).get("mean_loss").get(task).asDouble());
    }
    assertThat(report.get("test").get("sst1").get("values").fieldNames()).toIterable().containsExactly("pearson", "spearman", "rmse", "mae");
    // A model that learned nothing scores about 0 and 0.5 here; the shipped config reaches 0.62 and 0.79.
    assertThat(report.get("test").get("sst1").get("values").get("pearson").asDouble()).isGreaterThan(0.5);
    assertThat(report.get("test").get("sst2").get("values").get("accuracy").asDouble()).isGreaterThan(0.7);

    Result predict = mtl("predict", WORK.resolve("mixed-run/model").toString(), "a gorgeous , moving film");
    assertThat(predict.code()).as(predict.output()).isZero();
    JsonNode line = JSON.readTree(predict.output().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
    assertThat(line.get("sst1").get("value").isNumber()).isTrue();
    assertThat(line.get("sst2").get("labels")).hasSize(1);
    assertThat(line.get("subj").get("labels")).hasSize(1);
  }

  @Test
  @Order(4)
  @DisplayName("the embedding app, built on its own, prints every task's prediction")
  void embeddingAppPredicts() throws Exception {
    Result build = maven(APP_PROJECT, "clean", "package");
    assertThat(build.code()).as(build.output()).isZero();
    String classpath = APP_PROJECT.resolve("target/classes") + File.pathSeparator
        + Files.readString(APP_PROJECT.resolve("target/classpath.txt")).trim() + File.pathSeparator + pluginJar();
    Result app = run(WORK, Map.of(), javaBinary(), "-cp", classpath, "com.example.mtlapp.PredictApp",
        WORK.resolve("mixed-run/model").toString(), "a gorgeous , moving film", "the plot is a mess");
    assertThat(app.code()).as(app.output()).isZero();
    assertThat(app.output()).contains("a gorgeous , moving film", "the plot is a mess");
    assertThat(app.output().lines().filter(l -> l.matches("  sst1: -?\\d+\\.\\d\\d"))).hasSize(2);
    assertThat(app.output().lines().filter(l -> l.matches("  sst2: \\[(negative|positive)]"))).hasSize(2);
    assertThat(app.output().lines().filter(l -> l.matches("  subj: \\[(subjective|objective)]"))).hasSize(2);
  }
}
