package dev.mtl.core.store;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where a model came from, in every model directory: {@value #FILE} for people and the same facts
 * under {@code card} in {@code mtl-model.json} (Tribuo-style provenance): each task's type, labels,
 * examples per split and dev/test metrics; each data file with its size, line count and SHA-256;
 * training time, epochs, parameters and peak memory; mtl's and every plugin's version; Java and the
 * operating system; the resolved config.
 */
public final class ModelCard {
  public static final String FILE = "MODEL.md";

  private ModelCard() {}

  /** What a run knows about one task when it ends. */
  public record TaskFacts(int train, int dev, int test, TaskMetrics devMetrics, TaskMetrics testMetrics) {}

  /** What a run knows about its training when it ends. */
  public record TrainingFacts(int epochs, double seconds, long parameters, long peakRssBytes, String keptFrom) {}

  /**
   * The card's facts, as {@code mtl-model.json} holds them.
   *
   * @param config the run config as run (its tasks' {@code train}/{@code dev}/{@code test} files are described)
   */
  public static Map<String, Object> facts(String name, ConfigSection config, List<Task> tasks, Map<String, TaskFacts> taskFacts,
      TrainingFacts training, Map<String, String> versions) {
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("name", name);
    card.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    Map<String, Object> taskCards = new LinkedHashMap<>();
    for (Task task : tasks) {
      TaskFacts f = taskFacts.get(task.name());
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("type", task.type());
      t.put("labels", task.output().names());
      if (f != null) {
        t.put("examples", Map.of("train", f.train(), "dev", f.dev(), "test", f.test()));
        if (f.devMetrics() != null) {
          t.put("dev", f.devMetrics().values());
        }
        if (f.testMetrics() != null) {
          t.put("test", f.testMetrics().values());
          t.put("primary", f.testMetrics().primary());
        } else if (f.devMetrics() != null) {
          t.put("primary", f.devMetrics().primary());
        }
      }
      taskCards.put(task.name(), t);
    }
    card.put("tasks", taskCards);
    card.put("data", dataFiles(config));
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("epochs", training.epochs());
    run.put("seconds", Math.round(training.seconds() * 10) / 10.0);
    run.put("parameters", training.parameters());
    run.put("peak_rss_bytes", training.peakRssBytes());
    run.put("kept", training.keptFrom());
    card.put("training", run);
    card.put("versions", versions);
    card.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
    card.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    return card;
  }

  /** Each task's data files: path, bytes, lines and SHA-256, so a model can be traced to its exact data. */
  private static List<Map<String, Object>> dataFiles(ConfigSection config) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ConfigSection task : config.sections("tasks")) {
      List<String> keys = new ArrayList<>();
      for (DataSplit split : DataSplit.values()) {
        keys.add(split.configName());
      }
      keys.add("unlabelled");
      for (String key : keys) {
        if (!task.values().containsKey(key)) {
          continue;
        }
        Optional<Path> file = task.file(key);
        if (file.isEmpty() || !Files.isRegularFile(file.get())) {
          continue;
        }
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("task", task.string("name", ""));
        entry.put("split", key);
        entry.put("path", file.get().toAbsolutePath().normalize().toString());
        entry.putAll(digest(file.get()));
        out.add(entry);
      }
    }
    return out;
  }

  private static Map<String, Object> digest(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      long bytes = 0;
      long lines = 0;
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
        bytes += n;
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            lines++;
          }
        }
      }
      return Map.of("bytes", bytes, "lines", lines, "sha256", HexFormat.of().formatHex(sha.digest()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " to describe it in the model card", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Writes {@value #FILE} and the card in {@code mtl-model.json} into {@code modelDir}, each atomically. */
  public static void write(Path modelDir, Map<String, Object> card, Map<String, Object> config) throws IOException {
    ModelManifest manifest = ModelManifest.read(modelDir);
    manifest.withCard(card).write(modelDir);
    AtomicFiles.writeString(modelDir.resolve(FILE), markdown(card, config));
  }

  @SuppressWarnings("unchecked")
  static String markdown(Map<String, Object> card, Map<String, Object> config) throws IOException {
    StringBuilder md = new StringBuilder("# Model card: ").append(card.get("name")).append("\n\n");
    Map<String, Object> training = (Map<String, Object>) card.get("training");
    md.append("Trained by mtl ").append(((Map<String, String>) card.get("versions")).getOrDefault("mtl-core", "unknown"))
        .append(" on ").append(card.get("created")).append(" (").append(card.get("java")).append(", ").append(card.get("os"))
        .append("): ").append(training.get("epochs")).append(" epoch(s) in ").append(training.get("seconds")).append(" s, ")
        .append(String.format(Locale.ROOT, "%,d", (Long) training.get("parameters"))).append(" parameters, peak resident memory ")
        .append((Long) training.get("peak_rss_bytes") > 0 ? ((Long) training.get("peak_rss_bytes") >> 20) + " MB" : "unknown")
        .append("; kept: ").append(training.get("kept")).append(".\n\n## Tasks\n\n")
        .append("| task | type | labels | train | dev | test | primary metric | dev | test |\n|---|---|---|---|---|---|---|---|---|\n");
    ((Map<String, Map<String, Object>>) card.get("tasks")).forEach((task, t) -> {
      Map<String, Integer> examples = (Map<String, Integer>) t.getOrDefault("examples", Map.of());
      String primary = (String) t.get("primary");
      md.append("| ").append(task).append(" | ").append(t.get("type")).append(" | ").append(((List<String>) t.get("labels")).size())
          .append(" | ").append(examples.getOrDefault("train", 0)).append(" | ").append(examples.getOrDefault("dev", 0)).append(" | ")
          .append(examples.getOrDefault("test", 0)).append(" | ").append(primary == null ? "-" : primary).append(" | ")
          .append(value(t.get("dev"), primary)).append(" | ").append(value(t.get("test"), primary)).append(" |\n");
    });
    md.append("\nLabels:\n\n");
    ((Map<String, Map<String, Object>>) card.get("tasks")).forEach((task, t) ->
        md.append("- ").append(task).append(": ").append(String.join(", ", (List<String>) t.get("labels"))).append('\n'));
    md.append("\n## Data\n\n| task | split | file | lines | bytes | SHA-256 |\n|---|---|---|---|---|---|\n");
    for (Map<String, Object> f : (List<Map<String, Object>>) card.get("data")) {
      md.append("| ").append(f.get("task")).append(" | ").append(f.get("split")).append(" | `").append(f.get("path")).append("` | ")
          .append(f.get("lines")).append(" | ").append(f.get("bytes")).append(" | `").append(f.get("sha256")).append("` |\n");
    }
    md.append("\n## Versions\n\n");
    ((Map<String, String>) card.get("versions")).forEach((plugin, version) -> md.append("- ").append(plugin).append(": ").append(version).append('\n'));
    md.append("\n## Config as run\n\n```yaml\n").append(new YAMLMapper().writeValueAsString(config).replaceFirst("^---\n", ""))
        .append("```\n");
    return md.toString();
  }

  @SuppressWarnings("unchecked")
  private static String value(Object metrics, String primary) {
    if (!(metrics instanceof Map<?, ?> values) || primary == null || !(values.get(primary) instanceof Number n)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.4f", n.doubleValue());
  }
}
