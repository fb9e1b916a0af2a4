package dev.mtl.cli;

import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.task.TaskMetrics;
import dev.mtl.core.training.CrossValidation;
import dev.mtl.core.training.MultiTaskTrainer;
import dev.mtl.core.training.TrainingReport;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code mtl cv <config> --folds K}. */
@Command(name = "cv", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Cross-validate a run config and compare settings on held-out folds.",
    description = {
        "Stratified folds of the training data (a text and all its tasks' rows in one fold); each setting is "
            + "trained on K-1 folds and tested on the held-out one. Prints mean ± std per task metric and Δm%% "
            + "against the config as it is, and names the best setting. Runs and report.json go to <output>/cv/."})
final class CvCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CONFIG", description = "the run config (see examples/)")
  Path config;

  @Option(names = "--folds", paramLabel = "K", defaultValue = "5", description = "number of folds (default: ${DEFAULT-VALUE})")
  int folds;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a setting for every run (repeatable)")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--try", paramLabel = "KEY=VALUE[;KEY=VALUE...]",
      description = "a setting to compare with the config as it is: overrides separated by ';' (repeatable)")
  List<String> tries = new ArrayList<>();

  @Option(names = "--grid", paramLabel = "KEY=V1,V2,...",
      description = "values to try for a key; several --grid options try every combination (repeatable)")
  List<String> grid = new ArrayList<>();

  @Option(names = "--retrain", description = "then train the best setting on all training data into <output>/cv/final")
  boolean retrain;

  @Option(names = "--quiet", description = "print only the results")
  boolean quiet;

  @picocli.CommandLine.Mixin
  OutputFolder output;

  @Inject
  Provider<PluginRegistry> registry;

  @Inject
  CrossValidation crossValidation;

  @Inject
  MultiTaskTrainer trainer;

  @Override
  public Integer call() throws Exception {
    if (folds < 2) {
      throw new ParameterException(spec.commandLine(), "--folds must be at least 2, got " + folds);
    }
    List<CrossValidation.Setting> settings = settings();
    RunConfig base = RunConfig.load(config, overrides);
    if (base.root().source().problems().isEmpty()) {
      output.claim(base.outputDirectory()); // an invalid config fails below with every problem listed
    }
    PrintWriter err = spec.commandLine().getErr();
    PluginRegistry registry = this.registry.get();
    CrossValidation.Report report = crossValidation.run(config, overrides, settings, folds, registry, (setting, fold) -> {
      if (!quiet) {
        err.println("cv: " + setting.name() + ", fold " + (fold + 1) + " of " + folds);
        err.flush();
      }
      return new Progress(err, true);
    });
    PrintWriter out = spec.commandLine().getOut();
    print(out, report);
    out.println("report: " + CrossValidation.directory(base).resolve(CrossValidation.REPORT_FILE));
    if (retrain) {
      List<String> finalOverrides = report.bestSetting().overridesAfter(overrides);
      finalOverrides.add("output=" + CrossValidation.directory(base).resolve("final").toAbsolutePath());
      ResolvedRun run = ResolvedRun.resolve(RunConfig.load(config, finalOverrides), registry);
      out.println("retraining '" + report.best() + "' on all training data:");
      out.flush();
      TrainingReport trained = trainer.train(run, new Progress(err, quiet));
      Tables.printReport(out, trained);
    }
    out.flush();
    return 0;
  }

  /** The config as it is first, then each --try, then every combination of the --grid values. */
  private List<CrossValidation.Setting> settings() {
    try {
      return CrossValidation.Setting.of(tries, grid);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Per setting: each task's metrics as mean ± std over the folds, and Δm%; then the best. */
  private static void print(PrintWriter out, CrossValidation.Report report) {
    out.println(report.folds() + "-fold cross-validation (test = the held-out fold; Δm% against 'as configured' on the same fold)");
    for (CrossValidation.SettingResult r : report.settings()) {
      out.println();
      out.println("setting: " + r.setting().name());
      Map<String, TaskMetrics> firstFold = r.foldTest().get(0);
      r.metrics().forEach((task, metrics) -> {
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-12s", task));
        metrics.forEach((metric, summary) -> row.append(String.format(Locale.ROOT, "  %s %.4f ± %.4f%s", metric, summary.mean(),
            summary.std(), firstFold.containsKey(task) && metric.equals(firstFold.get(task).primary()) ? "*" : "")));
        out.println(row);
      });
      out.println(String.format(Locale.ROOT, "  Δm%% %+.2f ± %.2f", r.deltaM().mean(), r.deltaM().std()));
    }
    out.println();
    out.println("best: " + report.best());
  }
}
