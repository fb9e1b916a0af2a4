package dev.mtl.cli;

import com.google.inject.Guice;
import dev.mtl.core.config.InvalidConfigException;
import dev.mtl.core.data.DataException;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.registry.PluginException;
import dev.mtl.core.training.TrainingException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code mtl} command. Third-party plugins are loaded from the jars {@link PluginPath} names.
 * Exit codes: 0 success, 1 failure while running (bad data, engine
 * error), 2 bad usage or an invalid config; after SIGTERM or Ctrl-C the JVM's own status (143, 130)
 * once the command has stopped at a safe point and said what it kept.
 */
@Command(name = "mtl", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    description = "Multi-task learning for the JVM: train, evaluate and run models that learn several tasks at once.",
    subcommands = {TrainCommand.class, CvCommand.class, AffinityCommand.class, EvalCommand.class, CalibrateCommand.class, PredictCommand.class, PluginsCommand.class, CompareCommand.class, ReportCommand.class, CommandLine.HelpCommand.class})
public final class MtlCli implements Runnable {
  static final int FAILURE = 1;
  static final int USAGE = 2;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: train, eval, predict or plugins");
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code (for tests and embedding). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    // Charts (mtl report) render off-screen; no display is needed or used.
    System.setProperty("java.awt.headless", "true");
    CommandLine cli = new CommandLine(MtlCli.class, new CliModule.CommandFactory(Guice.createInjector(new CliModule())));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof InvalidConfigException || e instanceof PluginException) {
        err.println("mtl: " + e.getMessage());
        return USAGE;
      }
      // Problems with the user's files, data or a stopped run: the message says what and how to fix it.
      if (e instanceof DataException || e instanceof StopRequestedException || e instanceof TrainingException) {
        err.println("mtl: " + e.getMessage());
        return FAILURE;
      }
      if (e instanceof IOException io) {
        err.println("mtl: " + describe(io));
        return FAILURE;
      }
      err.println("mtl: " + e);
      if (System.getenv("MTL_DEBUG") != null) {
        e.printStackTrace(err);
      } else {
        err.println("(set MTL_DEBUG=1 for the stack trace)");
      }
      return FAILURE;
    });
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    // SIGTERM or Ctrl-C: the JVM waits for this guard, so a command ends at a safe point (training
    // writes a checkpoint) with its message printed, instead of dying inside the engine.
    try (GracefulStop.Guard guard = GracefulStop.enter()) {
      // Plugins are found through the context class loader (PluginRegistry.load()).
      List<Path> jars = PluginPath.jars(System.getProperty(PluginPath.HOME_PROPERTY), System.getenv(PluginPath.ENVIRONMENT));
      thread.setContextClassLoader(PluginPath.classLoader(jars, MtlCli.class.getClassLoader()));
      return cli.execute(args);
    } catch (CommandLine.ParameterException e) {
      err.println("mtl: " + e.getMessage());
      return USAGE;
    } catch (IOException e) {
      err.println("mtl: cannot read the plugin folders: " + e);
      return FAILURE;
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /** An I/O failure as a sentence: which file and what went wrong. */
  static String describe(IOException e) {
    if (e instanceof NoSuchFileException f) {
      return f.getFile() + " does not exist";
    }
    if (e instanceof AccessDeniedException f) {
      return f.getFile() + ": permission denied";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /** The version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = MtlCli.class.getPackage().getImplementationVersion();
      return new String[] {"mtl " + (v == null ? "(development build)" : v)};
    }
  }
}
