package dev.mtl.cli;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.serving.ModelServer;
import dev.mtl.serving.ServerSettings;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl serve <model>}: the model behind HTTP until SIGTERM or Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Serve a trained model over HTTP: predictions with dynamic batching, health and metrics.",
    description = {
        "POST /predict with {\"text\": \"...\"} or {\"texts\": [...]} (optional \"tasks\", \"threshold\", \"top_k\") answers "
            + "what mtl predict prints; GET /health is 200 once the model is loaded; GET /metrics is Prometheus text; GET "
            + "/model lists tasks and labels. Requests that queue while a batch runs are predicted together in the next, "
            + "up to --batch-size texts; a full queue answers 503 with Retry-After. SIGTERM or Ctrl-C stops taking "
            + "requests, answers those in flight and queued, and exits. docs/serving.md has measurements and a systemd unit."})
final class ServeCommand implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "the model directory (a run's model/ folder)")
  Path model;

  @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
      description = "address to listen on; 0.0.0.0 for every interface, e.g. in a container (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
      description = "the engine's threads per prediction (0: its default, one per core)")
  int threads;

  @Option(names = "--batch-size", paramLabel = "TEXTS", defaultValue = "64",
      description = "texts predicted together at most; 1 turns batching off (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--max-wait-ms", paramLabel = "MS", defaultValue = "0",
      description = "how long a batch waits for more requests; 0: it takes those that queued while the last one ran, "
          + "so a lone request never waits (default: ${DEFAULT-VALUE})")
  int maxWaitMs;

  @Option(names = "--queue", paramLabel = "REQUESTS", defaultValue = "256",
      description = "requests waiting for a batch at most; beyond it 503 (default: ${DEFAULT-VALUE})")
  int queue;

  @Option(names = "--http-threads", paramLabel = "N", defaultValue = "32",
      description = "threads that read requests and write answers (default: ${DEFAULT-VALUE})")
  int httpThreads;

  @Inject
  Provider<PluginRegistry> registry;

  @Override
  public Integer call() throws Exception {
    if (batchSize < 1 || maxWaitMs < 0 || queue < 1 || httpThreads < 2 || threads < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--batch-size, --queue must be at least 1, --http-threads at least 2, --max-wait-ms and --threads at least 0");
    }
    PrintWriter err = spec.commandLine().getErr();
    ServerSettings settings = ServerSettings.defaults(port).withHost(host).withBatching(batchSize, Duration.ofMillis(maxWaitMs))
        .withQueueCapacity(queue).withThreads(httpThreads);
    PluginRegistry plugins = registry.get();
    Map<String, Object> engine = threads > 0 ? Map.of("threads", threads) : Map.of();
    ModelServer server = ModelServer.start(settings, () -> MultiTaskModel.load(model, plugins, engine));
    err.println("mtl: listening on http://" + host + ":" + server.port() + ", loading " + model);
    err.flush();
    MultiTaskModel loaded;
    try {
      loaded = server.awaitReady();
    } catch (ExecutionException e) {
      server.stop();
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    try (loaded) {
      err.println("mtl: ready: POST http://" + host + ":" + server.port() + "/predict  (tasks " + loaded.tasks() + "; "
          + (settings.batching() ? "batches of up to " + batchSize + " texts, " + maxWaitMs + " ms wait" : "no batching") + ")");
      err.flush();
      while (!GracefulStop.requested()) {
        Thread.sleep(100);
      }
      err.println("mtl: stopping: answering the requests in flight, refusing new ones");
      err.flush();
      server.stop();
    }
    err.println("mtl: stopped");
    err.flush();
    return 0;
  }
}
