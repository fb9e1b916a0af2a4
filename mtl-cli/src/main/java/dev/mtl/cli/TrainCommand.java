package dev.mtl.cli;

import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.Baselines;
import dev.mtl.core.run.Distillation;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.training.MultiTaskTrainer;
import dev.mtl.core.training.PseudoLabelTraining;
import dev.mtl.core.training.SingleTaskBaselines;
import dev.mtl.core.training.TrainingListener;
import dev.mtl.core.training.TrainingReport;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code mtl train <config>}. */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Train a multi-task model from a run config, then evaluate it on dev and test.",
    description = {
        "If single-task baselines exist (see --single-task), also reports each task's gain and Δm%%."})
final class TrainCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG", description = "the run config (see examples/)")
  Path config;

  @Option(names = "--resume", paramLabel = "RUN_DIR",
      description = "continue an interrupted run from the latest checkpoint in its output directory, with the config and --set it started with")
  Path resume;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "override a setting, e.g. --set sharing.type=soft --set training.epochs=1 (repeatable)")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--single-task", description = "train each task alone with the same model and budget, and store the "
      + "results as the baselines later runs of this config are compared with (<output>/single-task/baselines.json)")
  boolean singleTask;

  @Option(names = "--quiet", description = "print only the final results")
  boolean quiet;

  @Option(names = "--json", description = "print the results as one JSON document on standard output (what metrics.json "
      + "holds) instead of tables; progress stays on standard error")
  boolean json;

  @picocli.CommandLine.Mixin
  OutputFolder output;

  @Inject
  Provider<PluginRegistry> registry;

  @Inject
  MultiTaskTrainer trainer;

  @Inject
  SingleTaskBaselines baselines;

  @Inject
  PseudoLabelTraining pseudoLabelTraining;

  @Override
  public Integer call() throws Exception {
    PluginRegistry registry = this.registry.get();
    if (resume != null) {
      if (config != null || !overrides.isEmpty() || singleTask) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--resume takes the run directory only: the run continues with the config and --set it started with");
      }
      RunSource source = RunSource.read(resume);
      RunConfig runConfig = RunConfig.load(source.config(), source.overrides());
      if (runConfig.pseudoLabels().isPresent()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--resume cannot continue pseudo-label rounds; each"
            + " round's run is in " + runConfig.outputDirectory() + "/round-<r>. Train again without --resume");
      }
      ResolvedRun run = ResolvedRun.resolve(runConfig, registry);
      TrainingReport report = trainer.resume(run, new Progress(spec.commandLine().getErr(), quiet));
      printReport(report);
      return 0;
    }
    if (config == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'CONFIG' (or --resume RUN_DIR)");
    }
    RunConfig runConfig = RunConfig.load(config, overrides);
    if (singleTask) {
      claimIfValid(runConfig);
      Baselines trained = trainBaselines(runConfig, registry, "single-task baseline");
      if (json) {
        printJson(trained);
        return 0;
      }
      Tables.printMetrics(spec.commandLine().getOut(), "baselines (test)", trained.test());
      Tables.printMetrics(spec.commandLine().getOut(), "baselines (dev)", trained.dev());
      spec.commandLine().getOut().println("baselines saved to " + SingleTaskBaselines.file(runConfig));
      return 0;
    }
    if (runConfig.pseudoLabels().isPresent()) {
      claimIfValid(runConfig);
      return pseudoLabels(registry);
    }
    ResolvedRun run = ResolvedRun.resolve(runConfig, registry);
    output.claim(runConfig.outputDirectory());
    List<String> untaught = teachersToTrain(run);
    if (!untaught.isEmpty()) {
      // The run's own single-task baselines teach it (training.distill: {teachers: single-task}): train them first.
      if (!quiet) {
        spec.commandLine().getErr().println("single-task teachers missing or trained from another config (" + String.join(", ", untaught)
            + "): training every task alone first, into " + SingleTaskBaselines.file(runConfig).getParent());
      }
      trainBaselines(runConfig, registry, "single-task teacher");
    }
    RunSource.write(runConfig.outputDirectory(), new RunSource(config.toAbsolutePath().normalize(), overrides));
    TrainingReport report = trainer.train(run, new Progress(spec.commandLine().getErr(), quiet));
    printReport(report);
    return 0;
  }

  /** Trains each task alone ({@link SingleTaskBaselines}), naming each as {@code role} on standard error. */
  private Baselines trainBaselines(RunConfig runConfig, PluginRegistry registry, String role) throws IOException {
    return baselines.train(runConfig, registry, (task, steps) -> {
      if (!quiet) {
        spec.commandLine().getErr().println(role + ": " + task + " (" + steps + " steps per epoch, as the multi-task run)");
      }
      return new Progress(spec.commandLine().getErr(), quiet);
    });
  }

  /**
   * The tasks whose teacher must be trained before the run: when it distils from its own single-task
   * baselines, those whose model is not there or was trained from another config than the run's now.
   */
  private List<String> teachersToTrain(ResolvedRun run) throws IOException {
    Optional<Distillation> distill = run.config().training().distillation().filter(Distillation::fromSingleTask);
    if (distill.isEmpty()) {
      return List.of();
    }
    List<String> outdated = new ArrayList<>(baselines.outdated(run));
    distill.get().teachers().forEach((task, model) -> {
      if (!Files.isDirectory(model) && !outdated.contains(task)) {
        outdated.add(task);
      }
    });
    return outdated;
  }

  private void printReport(TrainingReport report) throws IOException {
    if (json) {
      printJson(report);
    } else {
      Tables.printReport(spec.commandLine().getOut(), report);
    }
  }

  private void printJson(Object result) throws IOException {
    spec.commandLine().getOut().print(JsonFiles.pretty(result));
    spec.commandLine().getOut().flush();
  }

  /**
   * Claims the output folder before runs that resolve the config themselves; an invalid config
   * claims nothing and fails there with every problem listed.
   */
  private void claimIfValid(RunConfig runConfig) throws IOException {
    if (runConfig.root().source().problems().isEmpty()) {
      output.claim(runConfig.outputDirectory());
    }
  }

  /** Rounds of self- or co-training; prints each round's pseudo-labels and metrics. */
  private int pseudoLabels(PluginRegistry registry) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PseudoLabelTraining.Report report = pseudoLabelTraining.train(config, overrides, registry, new PseudoLabelTraining.Listener() {
      @Override
      public TrainingListener forRun(int round, String view) {
        if (!quiet) {
          err.println("pseudo-labels: round " + round + ", " + view + " model");
          err.flush();
        }
        return new Progress(err, quiet);
      }

      @Override
      public void onPicks(int round, String view, Map<String, PseudoLabelTraining.TaskPicks> picks) {
        if (!quiet) {
          picks.forEach((task, p) -> err.println("pseudo-labels: round " + round + ", for the " + view + " model: " + task + " +" + p.added()
              + " " + p.addedPerClass() + (p.addedAccuracy() == null ? "" : String.format(Locale.ROOT, ", %.1f%% right", 100 * p.addedAccuracy()))));
          err.flush();
        }
      }
    });
    if (json) {
      printJson(report);
      return 0;
    }
    for (PseudoLabelTraining.Round round : report.rounds()) {
      for (PseudoLabelTraining.ViewRound view : round.views()) {
        String title = "round " + round.round() + (report.rounds().get(0).views().size() > 1 ? " (" + view.view() + ")" : "");
        view.pseudoLabels().forEach((task, p) -> out.println(String.format(Locale.ROOT, "%s: %s +%d pseudo-labelled (%d in all%s)",
            title, task, p.added(), p.total(), p.totalAccuracy() == null ? "" : String.format(Locale.ROOT, ", %.1f%% of them right",
                100 * p.totalAccuracy()))));
        out.println(title + ":");
        Tables.printMetrics(out, "test", view.test());
      }
    }
    out.println("stopped: " + report.stopped());
    out.println("model saved to " + report.finalModel());
    out.println("report: " + RunConfig.load(config, overrides).outputDirectory().resolve(PseudoLabelTraining.REPORT_FILE));
    out.flush();
    return 0;
  }
}
