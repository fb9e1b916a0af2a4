package dev.mtl.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.mtl.core.config.RunConfig;
import dev.mtl.core.inject.MtlModule;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.training.MultiTaskTrainer;
import dev.mtl.core.training.ResolvedRun;
import dev.mtl.core.training.TrainingReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl train <config>}. */
@Command(name = "train", description = "Train a multi-task model from a YAML run config, then evaluate it on dev and test.")
final class TrainCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CONFIG", description = "the run config (see examples/)")
  Path config;

  @Option(names = "--quiet", description = "print only the final results")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    Injector injector = Guice.createInjector(new MtlModule(PluginRegistry.load()));
    ResolvedRun run = ResolvedRun.resolve(RunConfig.load(config), injector.getInstance(PluginRegistry.class));
    Progress progress = new Progress(spec.commandLine().getErr(), quiet);
    TrainingReport report = injector.getInstance(MultiTaskTrainer.class).train(run, progress);
    Tables.printReport(spec.commandLine().getOut(), report);
    return 0;
  }
}
