package dev.mtl.core.training;

import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.data.DataException;
import dev.mtl.core.data.TextLines;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.PseudoLabelSettings;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Self-training and co-training with pseudo-labels ({@link PseudoLabelSettings}). Round 0 trains
 * on the gold rows. Each later round, a model labels the unlabelled texts not yet in the training
 * set it feeds; the confident predictions ({@link PseudoLabels#select}) join that set with their
 * row weight, and the model is trained again from scratch on gold plus pseudo-labelled rows. In
 * self-training a model feeds its own next round; in co-training the config's model and a second
 * one (the config with {@code second-view} overrides) feed each other. It stops after {@code
 * rounds} rounds or when no new text qualifies. The main model's rounds go to {@code
 * <output>/round-<r>/}, the second view's to {@code <output>/second-view/round-<r>/}, each
 * round's picks to {@code <output>/pseudo-labelled/<view fed>/round-<r>/<task>.tsv} (label,
 * confidence, text), and what happened to {@code
 * <output>/pseudo-labels.json}.
 */
public final class PseudoLabelTraining {
  public static final String REPORT_FILE = "pseudo-labels.json";
  static final String MAIN = "main";
  static final String SECOND = "second-view";
  /** Where each round's picks are written, one TSV per view, round and task, for inspection. */
  public static final String PICKS_DIR = "pseudo-labelled";

  /** Hears each training run start and each round's picks, so a caller can show progress. */
  public interface Listener {
    TrainingListener forRun(int round, String view);

    default void onPicks(int round, String view, Map<String, TaskPicks> picks) {}
  }

  /**
   * What one round added to one task's training set of one view.
   *
   * @param added texts pseudo-labelled this round
   * @param total pseudo-labelled texts in the set now
   * @param addedPerClass this round's additions by label name
   * @param addedAccuracy share of this round's additions that match the gold labels (null without gold)
   * @param totalAccuracy the same over the whole pseudo-labelled set (null without gold)
   * @param left unlabelled texts not yet in the set
   */
  public record TaskPicks(int added, int total, Map<String, Integer> addedPerClass, Double addedAccuracy, Double totalAccuracy,
      int left) {}

  /** One view's run in one round: where it went, what its training set gained, and its metrics. */
  public record ViewRound(String view, Path runDirectory, Map<String, TaskPicks> pseudoLabels, Map<String, TaskMetrics> dev,
      Map<String, TaskMetrics> test) {}

  public record Round(int round, List<ViewRound> views) {}

  /**
   * @param unlabeledTexts per task, the distinct unlabelled texts it could label
   * @param leftOut per task, what its unlabelled source held that was not used, and why
   * @param stopped why it stopped
   * @param finalModel the main view's last model
   */
  public record Report(PseudoLabelSettings settings, Map<String, Integer> unlabeledTexts, Map<String, LeftOut> leftOut,
      List<Round> rounds, String stopped, Path finalModel) {}

  /**
   * Unlabelled texts not used, so none disappears unreported.
   *
   * @param alreadyLabelled texts the task's gold training rows have (they keep their gold label)
   * @param repeated repeats of a text seen earlier in the source (labelled once)
   * @param blankLines empty lines of a one-text-per-line file
   */
  public record LeftOut(int alreadyLabelled, int repeated, int blankLines) {}

  /** The unlabelled texts of one task and, in the task's own format, their gold labels. */
  private record Pool(List<String> texts, List<float[]> gold, int blankLines) {}

  /** One view's pseudo-labelled rows so far, per task. */
  private static final class PseudoSet {
    final Map<String, List<Integer>> indices = new LinkedHashMap<>();
    /** Each pick's training target: the class index, or a 0/1 row per label for multi-label tasks. */
    final Map<String, List<float[]>> targets = new LinkedHashMap<>();
  }

  public Report train(Path configFile, List<String> overrides, PluginRegistry registry, Listener listener) throws IOException {
    RunConfig base = RunConfig.load(configFile, overrides);
    ResolvedRun reader = ResolvedRun.resolve(base, registry);
    PseudoLabelSettings settings = base.pseudoLabels().orElseThrow(() -> new IllegalArgumentException(
        configFile + " has no pseudo-labels section"));
    reader.release(); // resolved for its tasks only
    TrainingData files = TrainingData.read(reader.tasks(), base.holdouts());
    Map<String, Task> tasks = new LinkedHashMap<>();
    reader.tasks().forEach(t -> tasks.put(t.name(), t));
    Map<String, Pool> pools = new LinkedHashMap<>();
    Map<String, TaskData> goldTrain = new LinkedHashMap<>(files.train());
    settings.unlabeled().forEach((task, source) -> {
      if (source.fromTrain() > 0) {
        HiddenLabels split = hideLabels(files.train().get(task), source.fromTrain(), base.seed());
        goldTrain.put(task, split.kept());
        pools.put(task, split.pool());
      } else {
        pools.put(task, readPool(tasks.get(task), source));
      }
    });
    TrainingData gold = new TrainingData(goldTrain, files.dev(), files.test());
    Map<String, LeftOut> leftOut = new LinkedHashMap<>();
    pools.replaceAll((task, pool) -> newTextsOnce(pool, goldTrain.get(task), leftOut, task));

    boolean co = settings.method() == PseudoLabelSettings.Method.CO_TRAINING;
    if (co) {
      // The second view's config is checked now, not after the first model has trained.
      List<String> second = new ArrayList<>(overrides);
      second.addAll(settings.secondView());
      ResolvedRun.check(RunConfig.load(configFile, second), registry);
    }
    List<String> views = co ? List.of(MAIN, SECOND) : List.of(MAIN);
    Map<String, PseudoSet> sets = new LinkedHashMap<>();
    for (String view : views) {
      PseudoSet set = new PseudoSet();
      pools.forEach((task, pool) -> {
        set.indices.put(task, new ArrayList<>());
        set.targets.put(task, new ArrayList<>());
      });
      sets.put(view, set);
    }
    Path output = base.outputDirectory();
    // Every round trains on the same texts: a pretrained encoder encodes each once for all rounds.
    MultiTaskTrainer trainer = new MultiTaskTrainer().withFeatureCache(output.resolve(MultiTaskTrainer.FEATURES_DIR));
    List<Round> rounds = new ArrayList<>();
    rounds.add(trainRound(trainer, configFile, overrides, output, settings, registry, listener, gold, pools, sets, 0, views, Map.of()));
    String stopped = settings.rounds() == 1 ? "its one round ran" : "all " + settings.rounds() + " rounds ran";
    for (int round = 1; round <= settings.rounds(); round++) {
      Map<String, Map<String, TaskPicks>> picks = new LinkedHashMap<>();
      int added = 0;
      for (String labeller : views) {
        String fed = co ? views.get(1 - views.indexOf(labeller)) : labeller;
        Path model = rounds.get(round - 1).views().get(views.indexOf(labeller)).runDirectory().resolve("model");
        Path written = output.resolve(PICKS_DIR).resolve(fed).resolve("round-" + round);
        Map<String, TaskPicks> viewPicks = label(model, output.resolve(MultiTaskTrainer.FEATURES_DIR), registry, settings, tasks, pools,
            sets.get(fed), written);
        picks.put(fed, viewPicks);
        listener.onPicks(round, fed, viewPicks);
        added += viewPicks.values().stream().mapToInt(TaskPicks::added).sum();
      }
      if (added == 0) {
        stopped = "no new text reached confidence " + settings.confidence() + " in round " + round;
        break;
      }
      rounds.add(trainRound(trainer, configFile, overrides, output, settings, registry, listener, gold, pools, sets, round, views, picks));
    }
    Map<String, Integer> sizes = new LinkedHashMap<>();
    pools.forEach((task, pool) -> sizes.put(task, pool.texts().size()));
    Path finalModel = rounds.get(rounds.size() - 1).views().get(0).runDirectory().resolve("model");
    Report report = new Report(settings, sizes, leftOut, rounds, stopped, finalModel);
    AtomicFiles.writeString(output.resolve(REPORT_FILE), JsonFiles.pretty(report));
    return report;
  }

  /** A task's training rows split by {@code unlabeled: {from-train: share}}. */
  private record HiddenLabels(TaskData kept, Pool pool) {}

  /** round(share * n) of the rows, drawn with the run's seed, lose their labels and become the pool. */
  private static HiddenLabels hideLabels(TaskData rows, double share, long seed) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed));
    int hiddenCount = (int) Math.round(share * rows.size());
    boolean[] hidden = new boolean[rows.size()];
    for (int k = 0; k < hiddenCount; k++) {
      hidden[order.get(k)] = true;
    }
    TaskData kept = rows.rows(row -> !hidden[row], rows.source() + " (" + (rows.size() - hiddenCount) + " rows keep their labels)",
        rows.skippedRows());
    TaskData pool = rows.rows(row -> hidden[row], rows.source(), 0);
    return new HiddenLabels(kept, new Pool(pool.texts(), pool.targets(), 0));
  }

  private static Pool readPool(Task task, PseudoLabelSettings.Unlabeled source) {
    if (source.taskFormat()) {
      TaskData data = task.read(source.file());
      return new Pool(data.texts(), data.targets(), 0);
    }
    List<String> texts = new ArrayList<>();
    int blank = 0;
    for (TextLines.Line line : TextLines.read(source.file())) {
      if (line.text().isBlank()) {
        blank++;
      } else {
        texts.add(line.text());
      }
    }
    if (texts.isEmpty()) {
      throw new DataException(source.file() + " holds no texts: task '" + task.name()
          + "' names it as unlabeled (one text per line)");
    }
    return new Pool(texts, null, blank);
  }

  /** The pool without the texts the gold training rows have, and with each text once (its first row). */
  private static Pool newTextsOnce(Pool pool, TaskData gold, Map<String, LeftOut> leftOut, String task) {
    Set<String> known = new HashSet<>(gold.texts());
    Set<String> seen = new HashSet<>();
    List<String> texts = new ArrayList<>();
    List<float[]> targets = pool.gold() == null ? null : new ArrayList<>();
    int labelled = 0;
    int repeated = 0;
    for (int i = 0; i < pool.texts().size(); i++) {
      String text = pool.texts().get(i);
      if (known.contains(text)) {
        labelled++;
      } else if (!seen.add(text)) {
        repeated++;
      } else {
        texts.add(text);
        if (targets != null) {
          targets.add(pool.gold().get(i));
        }
      }
    }
    leftOut.put(task, new LeftOut(labelled, repeated, pool.blankLines()));
    return new Pool(texts, targets, pool.blankLines());
  }

  /** Lets the model at {@code modelDirectory} label every task's texts that {@code set} lacks, and adds its picks. */
  private static Map<String, TaskPicks> label(Path modelDirectory, Path featureCache, PluginRegistry registry,
      PseudoLabelSettings settings, Map<String, Task> tasks, Map<String, Pool> pools, PseudoSet set, Path written) throws IOException {
    Map<String, TaskPicks> out = new LinkedHashMap<>();
    try (MultiTaskModel model = MultiTaskModel.load(modelDirectory, registry)) {
      model.cacheFeatures(featureCache); // a pretrained encoder encodes each unlabelled text once for all rounds
      for (Map.Entry<String, Pool> e : pools.entrySet()) {
        String task = e.getKey();
        Pool pool = e.getValue();
        Set<Integer> taken = new HashSet<>(set.indices.get(task));
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < pool.texts().size(); i++) {
          if (!taken.contains(i)) {
            open.add(i);
          }
        }
        // Scores by pool index; only the open texts are scored and offered.
        float[][] probabilities = new float[pool.texts().size()][];
        float[][] scored = model.scores(open.stream().map(pool.texts()::get).toList()).get(task);
        for (int k = 0; k < open.size(); k++) {
          probabilities[open.get(k)] = scored[k];
        }
        List<String> labelNames = tasks.get(task).output().names();
        Map<String, Integer> perClass = new LinkedHashMap<>();
        int correct = 0;
        int added = 0;
        StringBuilder tsv = new StringBuilder("label\tconfidence\ttext\n");
        for (Picked pick : picks(tasks.get(task), probabilities, open, settings)) {
          int text = pick.text();
          List<String> names = pick.labels().stream().map(labelNames::get).toList();
          tsv.append(String.join(",", names)).append('\t').append(pick.confidence()).append('\t')
              .append(pool.texts().get(text).replace('\t', ' ').replace('\n', ' ')).append('\n');
          set.indices.get(task).add(text);
          set.targets.get(task).add(pick.target());
          names.forEach(name -> perClass.merge(name, 1, Integer::sum));
          correct += pool.gold() != null && matches(pool.gold().get(text), pick.target()) ? 1 : 0;
          added++;
        }
        Files.createDirectories(written);
        AtomicFiles.writeString(written.resolve(task + ".tsv"), tsv.toString());
        Double addedAccuracy = pool.gold() == null || added == 0 ? null : correct / (double) added;
        Double totalAccuracy = null;
        if (pool.gold() != null && !set.indices.get(task).isEmpty()) {
          int right = 0;
          for (int k = 0; k < set.indices.get(task).size(); k++) {
            right += matches(pool.gold().get(set.indices.get(task).get(k)), set.targets.get(task).get(k)) ? 1 : 0;
          }
          totalAccuracy = right / (double) set.indices.get(task).size();
        }
        out.put(task, new TaskPicks(added, set.indices.get(task).size(), perClass, addedAccuracy, totalAccuracy, open.size() - added));
      }
    }
    return out;
  }

  /** A pick in either kind of task: the text (its index in the pool), its training target, labels and confidence. */
  private record Picked(int text, float[] target, List<Integer> labels, double confidence) {}

  private static List<Picked> picks(Task task, float[][] probabilities, List<Integer> candidates, PseudoLabelSettings settings) {
    if (task.output().loss() == LossKind.SIGMOID_BINARY_CROSS_ENTROPY) {
      return PseudoLabels.selectMultiLabel(probabilities, candidates, settings.confidence(), settings.maxPerClass()).stream()
          .map(p -> {
            float[] target = new float[task.output().size()];
            p.labels().forEach(label -> target[label] = 1f);
            return new Picked(p.index(), target, p.labels(), p.confidence());
          }).toList();
    }
    return PseudoLabels.select(probabilities, candidates, settings.confidence(), settings.maxPerClass()).stream()
        .map(p -> new Picked(p.index(), new float[] {p.label()}, List.of(p.label()), p.confidence())).toList();
  }

  /** Whether a pick's target is the gold one: the same class, or exactly the same label set. */
  private static boolean matches(float[] gold, float[] target) {
    if (!TaskData.isLabelled(gold) || gold.length != target.length) {
      return false;
    }
    if (target.length == 1) {
      return (int) gold[0] == (int) target[0]; // a class index (or a lone 0/1 label)
    }
    for (int i = 0; i < gold.length; i++) {
      if ((gold[i] > 0.5f) != (target[i] > 0.5f)) {
        return false;
      }
    }
    return true;
  }

  private static Round trainRound(MultiTaskTrainer trainer, Path configFile, List<String> overrides, Path output,
      PseudoLabelSettings settings, PluginRegistry registry, Listener listener, TrainingData gold, Map<String, Pool> pools,
      Map<String, PseudoSet> sets, int round, List<String> views, Map<String, Map<String, TaskPicks>> picks) throws IOException {
    List<ViewRound> results = new ArrayList<>();
    for (String view : views) {
      Path directory = (view.equals(MAIN) ? output : output.resolve(SECOND)).resolve("round-" + round);
      List<String> runOverrides = new ArrayList<>(overrides);
      if (view.equals(SECOND)) {
        runOverrides.addAll(settings.secondView());
      }
      runOverrides.add("output=" + directory.toAbsolutePath());
      ResolvedRun run = ResolvedRun.resolve(RunConfig.load(configFile, runOverrides), registry);
      TrainingData data = withPseudoLabels(gold, pools, sets.get(view), settings.weight());
      TrainingReport report;
      try {
        report = trainer.train(run, data, listener.forRun(round, view));
      } catch (StopRequestedException stop) {
        throw new StopRequestedException("pseudo-label training stopped by a signal in round " + round + " ("
            + view + " model); rounds cannot be resumed: train again");
      }
      results.add(new ViewRound(view, directory, picks.getOrDefault(view, Map.of()), report.dev(), report.test()));
    }
    return new Round(round, results);
  }

  /** The gold training rows with each task's pseudo-labelled rows appended at {@code weight}. */
  private static TrainingData withPseudoLabels(TrainingData gold, Map<String, Pool> pools, PseudoSet set, double weight) {
    Map<String, TaskData> train = new LinkedHashMap<>(gold.train());
    pools.forEach((task, pool) -> {
      List<Integer> indices = set.indices.get(task);
      if (indices.isEmpty()) {
        return;
      }
      TaskData rows = gold.train().get(task);
      List<String> texts = new ArrayList<>(rows.texts());
      List<float[]> targets = new ArrayList<>(rows.targets());
      for (int k = 0; k < indices.size(); k++) {
        texts.add(pool.texts().get(indices.get(k)));
        targets.add(set.targets.get(task).get(k));
      }
      float[] weights = new float[texts.size()];
      Arrays.fill(weights, 0, rows.size(), 1f);
      Arrays.fill(weights, rows.size(), texts.size(), (float) weight);
      train.put(task, new TaskData(texts, targets, rows.source() + " + " + indices.size() + " pseudo-labelled", rows.skippedRows(),
          weights));
    });
    return new TrainingData(train, gold.dev(), gold.test());
  }
}
