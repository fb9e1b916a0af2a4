package dev.mtl.core.training;

import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.Baselines;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * K-fold cross-validation of one or more settings of a run config, for model selection: every
 * setting trains on the same stratified {@link Folds} of the training data (the config's dev split
 * still selects epochs), is tested on each held-out fold, and is summarised as mean ± standard
 * deviation per task metric and as Δm% against the first setting on the same fold (paired, so fold
 * difficulty cancels). The best setting is the one with the highest mean Δm%. Runs go to {@code
 * <output>/cv/<setting>/fold-<k>/}, the summary to {@code <output>/cv/report.json}.
 */
public final class CrossValidation {
  public static final String DIR = "cv";
  public static final String REPORT_FILE = "report.json";

  /**
   * One candidate: {@code --set} overrides on top of the config.
   *
   * @param name a readable name, e.g. {@code sharing.type=soft,training.learning-rate=0.003}
   */
  public record Setting(String name, List<String> overrides) implements java.io.Serializable {
    public Setting {
      overrides = List.copyOf(overrides);
    }

    /**
     * The settings {@code mtl cv} tries: the config as it is first, then each {@code --try}
     * ({@code KEY=VALUE} overrides separated by {@code ;}), then every combination of the
     * {@code --grid} values ({@code KEY=V1,V2,...}).
     *
     * @throws IllegalArgumentException naming an override that is not {@code KEY=VALUE}
     */
    public static List<Setting> of(List<String> tries, List<String> grid) {
      List<Setting> settings = new ArrayList<>();
      settings.add(new Setting("as configured", List.of()));
      for (String t : tries) {
        List<String> parts = java.util.Arrays.stream(t.split(";")).map(String::strip).filter(p -> !p.isEmpty()).toList();
        parts.forEach(Setting::checkOverride);
        settings.add(new Setting(String.join(",", parts), parts));
      }
      List<List<String>> combinations = List.of(List.of());
      for (String g : grid) {
        checkOverride(g);
        int eq = g.indexOf('=');
        String key = g.substring(0, eq).strip();
        List<List<String>> next = new ArrayList<>();
        for (List<String> c : combinations) {
          for (String value : g.substring(eq + 1).split(",")) {
            List<String> extended = new ArrayList<>(c);
            extended.add(key + "=" + value.strip());
            next.add(extended);
          }
        }
        combinations = next;
      }
      if (!grid.isEmpty()) {
        combinations.forEach(c -> settings.add(new Setting(String.join(",", c), c)));
      }
      return settings;
    }

    private static void checkOverride(String override) {
      int eq = override.indexOf('=');
      if (eq <= 0 || eq == override.length() - 1) {
        throw new IllegalArgumentException("'" + override + "' is not KEY=VALUE (e.g. sharing.type=soft)");
      }
    }

    /** {@code base} (the overrides every setting gets) followed by this setting's own. */
    public List<String> overridesAfter(List<String> base) {
      List<String> all = new ArrayList<>(base);
      all.addAll(overrides);
      return all;
    }

    /** The folder name of its runs: the name, with characters unsafe in file names replaced. */
    String folder(int index) {
      String safe = name.replaceAll("[^A-Za-z0-9._=-]+", "_");
      return (index + 1) + "-" + (safe.length() > 60 ? safe.substring(0, 60) : safe);
    }
  }

  /** Mean and sample standard deviation over the folds (0 for one value). */
  public record Summary(double mean, double std) {
    static Summary of(List<Double> values) {
      double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      double squares = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
      return new Summary(mean, values.size() > 1 ? Math.sqrt(squares / (values.size() - 1)) : 0);
    }
  }

  /**
   * One setting's results.
   *
   * @param foldTest each fold's test metrics per task
   * @param foldDeltaM each fold's Δm% against the first setting on that fold
   * @param metrics per task and metric, over the folds
   * @param deltaM Δm% over the folds
   */
  public record SettingResult(Setting setting, List<Map<String, TaskMetrics>> foldTest, List<Double> foldDeltaM,
      Map<String, Map<String, Summary>> metrics, Summary deltaM) {}

  /**
   * @param folds K
   * @param foldSizes rows held out in each fold, per task
   * @param settings in the order given; the first is the Δm reference
   * @param best the setting with the highest mean Δm% (the first when none beats it)
   * @param retries runs that had to be repeated and why (a distributed run's failed tasks); empty when none
   */
  public record Report(int folds, List<Map<String, Integer>> foldSizes, List<SettingResult> settings, String best,
      List<String> retries) {
    public Report {
      retries = List.copyOf(retries);
    }

    public Setting bestSetting() {
      return settings.stream().map(SettingResult::setting).filter(s -> s.name().equals(best)).findFirst().orElseThrow();
    }
  }

  /** Hears which run starts, so a caller can show progress. */
  public interface Listener {
    TrainingListener forRun(Setting setting, int fold);
  }

  /** The folder all of a config's cross-validation runs and its report go to. */
  public static Path directory(RunConfig config) {
    return config.outputDirectory().resolve(DIR);
  }

  /**
   * Cross-validates every setting on {@code folds} folds of {@code config}'s training data, one run
   * after another in this JVM.
   *
   * @param baseOverrides {@code --set} overrides every setting gets first
   */
  public Report run(Path config, List<String> baseOverrides, List<Setting> settings, int folds, PluginRegistry registry,
      Listener listener) throws IOException {
    Plan plan = Plan.of(config, baseOverrides, settings, folds, registry);
    TrainingData data = plan.readData();
    Folds split = plan.folds(data);
    // Every fold trains on the same texts: a pretrained encoder encodes each once for all of them.
    MultiTaskTrainer trainer = new MultiTaskTrainer().withFeatureCache(plan.directory().resolve(MultiTaskTrainer.FEATURES_DIR));
    List<List<Map<String, TaskMetrics>>> results = new ArrayList<>();
    for (int s = 0; s < settings.size(); s++) {
      results.add(new ArrayList<>());
    }
    for (int fold = 0; fold < folds; fold++) {
      TrainingData foldData = split.split(data, fold);
      for (int s = 0; s < settings.size(); s++) {
        results.get(s).add(plan.train(trainer, s, fold, foldData, registry, listener.forRun(settings.get(s), fold)));
      }
    }
    return plan.report(results, split, data, List.of());
  }

  /**
   * A cross-validation's runs, each of which can train on its own (in this JVM, or as a Spark task
   * on another machine that reads the same config and data files): every setting's config checked,
   * the folds drawn from the config's seed so every caller gets the same.
   */
  public record Plan(Path config, List<String> baseOverrides, List<Setting> settings, int folds, RunConfig first, List<Task> tasks) {
    public Plan {
      baseOverrides = List.copyOf(baseOverrides);
      settings = List.copyOf(settings);
      tasks = List.copyOf(tasks);
    }

    /** Checks every setting's config now, so a bad --try or --grid fails before hours of training. */
    public static Plan of(Path config, List<String> baseOverrides, List<Setting> settings, int folds, PluginRegistry registry)
        throws IOException {
      if (settings.isEmpty()) {
        throw new IllegalArgumentException("cross-validation needs at least one setting");
      }
      RunConfig first = RunConfig.load(config, baseOverrides);
      ResolvedRun reader = ResolvedRun.resolve(first, registry);
      reader.release(); // resolved for its tasks only
      for (Setting setting : settings) {
        RunConfig run = RunConfig.load(config, setting.overridesAfter(baseOverrides));
        ResolvedRun.check(run, registry);
        if (run.training().distillation().isPresent()) {
          // Teachers trained on the config's training rows have seen every fold's held-out rows.
          throw new TrainingException("cross-validation cannot run a config with training.distill: its teachers were trained on"
              + " every fold's held-out rows, so each fold's scores would flatter it; drop distill (--set training.distill=null)"
              + " to compare settings, then distil from the chosen setting's single-task runs");
        }
      }
      return new Plan(config, baseOverrides, settings, folds, first, reader.tasks());
    }

    /** Where the runs and the report go. */
    public Path directory() {
      return CrossValidation.directory(first);
    }

    /** The config's training data (and dev and test splits), as the first setting reads it. */
    public TrainingData readData() {
      return TrainingData.read(tasks, first.holdouts());
    }

    /** The stratified folds of {@code data}'s training rows, from the config's seed. */
    public Folds folds(TrainingData data) {
      return Folds.stratified(tasks, data.train(), folds, first.seed());
    }

    /** Where setting {@code s}'s run on fold {@code fold} writes: {@code <directory>/<setting>/fold-<fold+1>}. */
    public Path runDirectory(int s, int fold) {
      return directory().resolve(settings.get(s).folder(s)).resolve("fold-" + (fold + 1)).toAbsolutePath();
    }

    /**
     * Trains setting {@code s} on fold {@code fold} ({@code foldData}: {@code Folds.split} of the
     * data) into {@code <directory>/<setting>/fold-<fold+1>}, with {@code extraOverrides} last (e.g.
     * the engine's threads on a Spark executor); returns its test metrics.
     */
    public Map<String, TaskMetrics> train(MultiTaskTrainer trainer, int s, int fold, TrainingData foldData, PluginRegistry registry,
        TrainingListener listener, String... extraOverrides) throws IOException {
      Setting setting = settings.get(s);
      List<String> overrides = setting.overridesAfter(baseOverrides);
      overrides.add("output=" + runDirectory(s, fold));
      overrides.addAll(List.of(extraOverrides));
      ResolvedRun run = ResolvedRun.resolve(RunConfig.load(config, overrides), registry);
      try {
        return trainer.train(run, foldData, listener).test();
      } catch (StopRequestedException stop) {
        throw new StopRequestedException("cross-validation stopped by a signal in fold " + (fold + 1)
            + " of '" + setting.name() + "'; a cross-validation cannot be resumed: run mtl cv again");
      }
    }

    /**
     * The report over every setting's fold results ({@code results.get(s).get(fold)}), written to
     * {@code <directory>/report.json}.
     *
     * @param retries what the caller wants said about runs it had to repeat (empty when none)
     */
    public Report report(List<List<Map<String, TaskMetrics>>> results, Folds split, TrainingData data, List<String> retries)
        throws IOException {
      List<Map<String, Integer>> foldSizes = new ArrayList<>();
      for (int fold = 0; fold < folds; fold++) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        split.split(data, fold).test().forEach((task, rows) -> sizes.put(task, rows.labelledCount()));
        foldSizes.add(sizes);
      }
      List<SettingResult> settingResults = new ArrayList<>();
      for (int s = 0; s < settings.size(); s++) {
        List<Map<String, TaskMetrics>> foldTest = results.get(s);
        List<Double> deltas = new ArrayList<>();
        for (int fold = 0; fold < folds; fold++) {
          deltas.add(new Baselines(results.get(0).get(fold), Map.of()).compare(foldTest.get(fold), Map.of()).deltaM());
        }
        settingResults.add(new SettingResult(settings.get(s), foldTest, deltas, summarise(foldTest), Summary.of(deltas)));
      }
      SettingResult best = settingResults.get(0);
      for (SettingResult r : settingResults) {
        if (r.deltaM().mean() > best.deltaM().mean()) {
          best = r;
        }
      }
      Report report = new Report(folds, foldSizes, settingResults, best.setting().name(), retries);
      AtomicFiles.writeString(directory().resolve(REPORT_FILE), JsonFiles.pretty(report));
      return report;
    }
  }

  private static Map<String, Map<String, Summary>> summarise(List<Map<String, TaskMetrics>> foldTest) {
    Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    for (Map<String, TaskMetrics> fold : foldTest) {
      fold.forEach((task, metrics) -> metrics.values().forEach((metric, value) ->
          values.computeIfAbsent(task, t -> new LinkedHashMap<>()).computeIfAbsent(metric, m -> new ArrayList<>()).add(value)));
    }
    Map<String, Map<String, Summary>> out = new LinkedHashMap<>();
    values.forEach((task, metrics) -> {
      Map<String, Summary> summaries = new LinkedHashMap<>();
      metrics.forEach((metric, list) -> summaries.put(metric, Summary.of(list)));
      out.put(task, summaries);
    });
    return out;
  }
}
