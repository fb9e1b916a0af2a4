package dev.mtl.serving;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.api.PredictionFilter;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.task.TaskPrediction;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A trained model behind HTTP:
 *
 * <ul>
 *   <li>{@code POST /predict} with {@code {"text": "..."}} answers one prediction in the shape of
 *       {@code mtl predict}'s lines; with {@code {"texts": [...]}} it answers {@code {"predictions":
 *       [...]}}, in order. Optional: {@code "tasks": [...]}, {@code "threshold": 0.3}, {@code
 *       "top_k": 3} (as {@code mtl predict}'s options).
 *   <li>{@code GET /health}: 200 {@code {"status": "ready"}} once the model is loaded, 503 before and while stopping.
 *   <li>{@code GET /metrics}: Prometheus text: requests by endpoint and status with a latency
 *       histogram, texts per predicted batch, queued requests, errors, JVM memory and CPU.
 *   <li>{@code GET /model}: the model's name, tasks with their labels, engine and plugin versions.
 * </ul>
 *
 * <p>Every problem with a request is a 4xx with {@code {"error": "..."}} naming it; an unexpected
 * failure is a 500 of the same shape and the server goes on. A full queue answers 503 with {@code
 * Retry-After}. {@link #stop()} refuses new requests, finishes those in flight and queued, then stops.
 */
public final class ModelServer implements AutoCloseable {
  private static final ObjectMapper JSON = JsonFiles.mapper();
  private static final Set<String> REQUEST_FIELDS = Set.of("text", "texts", "tasks", "threshold", "top_k");

  private final ServerSettings settings;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final DistributionSummary batchTexts;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Javalin app;
  private final CompletableFuture<MultiTaskModel> loading = new CompletableFuture<>();
  private volatile MultiTaskModel model;
  private volatile Batcher batcher;
  private volatile boolean stopping;
  /** The port bound at start, kept: Javalin reports a negative one once stopped. */
  private volatile int port = -1;

  private ModelServer(ServerSettings settings) {
    this.settings = settings;
    this.batchTexts = DistributionSummary.builder("mtl.batch.texts").description("texts predicted in one call")
        .publishPercentileHistogram().register(metrics);
    Gauge.builder("mtl.queue.requests", () -> batcher == null ? 0 : batcher.queued()).description("requests waiting for a batch")
        .register(metrics);
    Gauge.builder("mtl.requests.in.flight", inFlight::get).register(metrics);
    new JvmMemoryMetrics().bindTo(metrics);
    new ProcessorMetrics().bindTo(metrics);
    QueuedThreadPool threads = new QueuedThreadPool(settings.threads(), Math.min(8, settings.threads()), 60_000);
    threads.setName("mtl-http");
    this.app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.http.maxRequestSize = settings.maxRequestBytes();
      config.http.prefer405over404 = true;
      config.jetty.threadPool = threads;
      config.jetty.addConnector((server, http) -> {
        // Connections are accepted on the selector thread (no acceptor threads), so a stop cannot
        // race an acceptor: with one, a connection accepted while Jetty stopped could be left open
        // and unread, its client waiting forever (seen in ServeTest.gracefulStop under load).
        ServerConnector connector = new ServerConnector(server, 0, 1, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        return connector;
      });
    });
    app.post("/predict", ctx -> timed(ctx, "predict", () -> predict(ctx)));
    app.get("/health", ctx -> timed(ctx, "health", () -> health(ctx)));
    app.get("/model", ctx -> timed(ctx, "model", () -> describe(ctx)));
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    app.exception(Exception.class, (e, ctx) -> {
      Counter.builder("mtl.errors").tag("type", e.getClass().getSimpleName()).register(metrics).increment();
      error(ctx, 500, "the server failed on this request: " + e);
    });
    app.error(404, ctx -> {
      if (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{")) {
        error(ctx, 404, "no endpoint " + ctx.method() + " " + ctx.path() + "; there are POST /predict, GET /health, GET /metrics, GET /model");
      }
    });
    app.error(405, ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path()));
    app.error(413, ctx -> {
      if (ctx.result() == null || !ctx.result().startsWith("{")) {
        error(ctx, 413, "the request is larger than " + settings.maxRequestBytes() + " bytes; send fewer texts per request");
      }
    });
  }

  /**
   * Starts listening at once and loads the model with {@code loader} in the background: {@code GET
   * /health} answers 503 until it is loaded, then 200.
   */
  public static ModelServer start(ServerSettings settings, Callable<MultiTaskModel> loader) {
    ModelServer server = new ModelServer(settings);
    server.app.start();
    server.port = server.app.port();
    Thread load = new Thread(() -> {
      try {
        server.ready(loader.call());
      } catch (Throwable e) {
        server.loading.completeExceptionally(e);
      }
    }, "mtl-model-loader");
    load.setDaemon(true);
    load.start();
    return server;
  }

  private void ready(MultiTaskModel loaded) {
    if (settings.batching()) {
      batcher = new Batcher(loaded::predict, settings.maxBatchTexts(), settings.maxWait().toNanos(), settings.queueCapacity(), batchTexts);
    }
    model = loaded;
    loading.complete(loaded);
  }

  /** The port it listens on (after {@link #stop}, the one it listened on). */
  public int port() {
    return port;
  }

  /** Waits until the model is loaded; fails with the loader's exception if it could not be. */
  public MultiTaskModel awaitReady() throws InterruptedException, ExecutionException {
    return loading.get();
  }

  private interface Handler {
    void handle() throws Exception;
  }

  private void timed(Context ctx, String endpoint, Handler handler) throws Exception {
    long start = System.nanoTime();
    inFlight.incrementAndGet();
    try {
      handler.handle();
    } finally {
      inFlight.decrementAndGet();
      Timer.builder("mtl.requests").description("HTTP requests, by endpoint and status").tag("endpoint", endpoint)
          .tag("status", Integer.toString(ctx.statusCode())).publishPercentileHistogram().register(metrics)
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  private void health(Context ctx) {
    if (stopping) {
      ctx.header("Retry-After", "1");
      json(ctx, 503, Map.of("status", "stopping"));
    } else if (model == null) {
      ctx.header("Retry-After", "1");
      json(ctx, 503, Map.of("status", loading.isCompletedExceptionally() ? "failed to load the model" : "loading"));
    } else {
      json(ctx, 200, Map.of("status", "ready"));
    }
  }

  private void describe(Context ctx) {
    MultiTaskModel m = model;
    if (m == null) {
      unavailable(ctx, "the model is still loading");
      return;
    }
    Map<String, Object> tasks = new LinkedHashMap<>();
    for (String task : m.tasks()) {
      Map<String, Object> about = new LinkedHashMap<>();
      about.put("type", m.task(task).type());
      about.put("loss", m.task(task).output().loss().name().toLowerCase(Locale.ROOT));
      about.put("labels", m.task(task).output().names());
      tasks.put(task, about);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", m.manifest().name());
    out.put("tasks", tasks);
    out.put("engine", m.manifest().engine().type());
    out.put("sharing", m.manifest().sharing() == null ? null : m.manifest().sharing().type());
    out.put("versions", m.manifest().versions());
    out.put("batching", Map.of("max_texts", settings.maxBatchTexts(), "max_wait_ms", settings.maxWait().toMillis()));
    json(ctx, 200, out);
  }

  private void predict(Context ctx) throws Exception {
    MultiTaskModel m = model;
    if (stopping) {
      unavailable(ctx, "the server is shutting down");
      return;
    }
    if (m == null) {
      unavailable(ctx, "the model is still loading; GET /health says when it is ready");
      return;
    }
    Request request = parse(ctx, m);
    if (request == null) {
      return; // answered with the problem
    }
    List<Map<String, TaskPrediction>> predictions;
    if (batcher != null) {
      CompletableFuture<List<Map<String, TaskPrediction>>> future;
      try {
        future = batcher.submit(request.texts());
      } catch (Batcher.Overloaded e) {
        Counter.builder("mtl.errors").tag("type", "overloaded").register(metrics).increment();
        unavailable(ctx, "the server is at capacity (" + settings.queueCapacity() + " requests queued); retry shortly");
        return;
      }
      try {
        predictions = future.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    } else {
      try (GracefulStop.Guard guard = GracefulStop.enter()) {
        predictions = m.predict(request.texts());
      } catch (StopRequestedException e) {
        unavailable(ctx, "the server is shutting down");
        return;
      }
    }
    List<Map<String, Object>> rows = new ArrayList<>(predictions.size());
    for (int i = 0; i < predictions.size(); i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("text", request.texts().get(i));
      row.putAll(request.filter().apply(predictions.get(i)));
      rows.add(row);
    }
    json(ctx, 200, request.single() ? rows.get(0) : Map.of("predictions", rows));
  }

  /** A valid request: its texts, whether it sent one {@code text}, and how to choose labels. */
  private record Request(List<String> texts, boolean single, PredictionFilter filter) {}

  /** The request, or null after answering 4xx with what is wrong with it. */
  private Request parse(Context ctx, MultiTaskModel m) {
    if (ctx.contentLength() > settings.maxRequestBytes()) {
      error(ctx, 413, "the request has " + ctx.contentLength() + " bytes but at most " + settings.maxRequestBytes()
          + " are accepted; send fewer texts per request");
      return null;
    }
    JsonNode body;
    try {
      body = JSON.readTree(ctx.body());
    } catch (JsonProcessingException e) {
      error(ctx, 400, "the body is not JSON (" + e.getOriginalMessage() + "); send {\"text\": \"...\"} or {\"texts\": [\"...\", ...]}");
      return null;
    }
    if (body == null || !body.isObject()) {
      error(ctx, 400, "the body must be a JSON object: {\"text\": \"...\"} or {\"texts\": [\"...\", ...]}");
      return null;
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!REQUEST_FIELDS.contains(field)) {
        error(ctx, 400, "unknown field '" + field + "'; known fields: text, texts, tasks, threshold, top_k");
        return null;
      }
    }
    boolean single = body.has("text");
    if (single == body.has("texts")) {
      error(ctx, 400, "give exactly one of \"text\" (one string) and \"texts\" (a list of strings)");
      return null;
    }
    List<String> texts = new ArrayList<>();
    if (single) {
      if (!body.get("text").isTextual()) {
        error(ctx, 400, "\"text\" must be a string, not " + body.get("text").getNodeType().name().toLowerCase(Locale.ROOT));
        return null;
      }
      texts.add(body.get("text").asText());
    } else {
      JsonNode list = body.get("texts");
      if (!list.isArray() || list.isEmpty()) {
        error(ctx, 400, "\"texts\" must be a non-empty list of strings");
        return null;
      }
      if (list.size() > settings.maxTextsPerRequest()) {
        error(ctx, 413, "\"texts\" has " + list.size() + " texts but at most " + settings.maxTextsPerRequest() + " are accepted per request");
        return null;
      }
      for (int i = 0; i < list.size(); i++) {
        if (!list.get(i).isTextual()) {
          error(ctx, 400, "texts[" + i + "] must be a string, not " + list.get(i).getNodeType().name().toLowerCase(Locale.ROOT));
          return null;
        }
        texts.add(list.get(i).asText());
      }
    }
    List<String> tasks = new ArrayList<>();
    if (body.has("tasks")) {
      if (!body.get("tasks").isArray()) {
        error(ctx, 400, "\"tasks\" must be a list of task names, e.g. [\"" + m.tasks().get(0) + "\"]");
        return null;
      }
      body.get("tasks").forEach(t -> tasks.add(t.asText()));
    }
    if (body.has("threshold") && !body.get("threshold").isNumber()) {
      error(ctx, 400, "\"threshold\" must be a number in [0, 1]");
      return null;
    }
    if (body.has("top_k") && !body.get("top_k").canConvertToInt()) {
      error(ctx, 400, "\"top_k\" must be a whole number of at least 1");
      return null;
    }
    try {
      PredictionFilter filter = PredictionFilter.of(m, tasks, body.has("threshold") ? body.get("threshold").asDouble() : null,
          body.has("top_k") ? body.get("top_k").asInt() : null);
      return new Request(texts, single, filter);
    } catch (IllegalArgumentException e) {
      error(ctx, 400, e.getMessage());
      return null;
    }
  }

  private void unavailable(Context ctx, String message) {
    ctx.header("Retry-After", "1");
    error(ctx, 503, message);
  }

  private static void error(Context ctx, int status, String message) {
    json(ctx, status, Map.of("error", message));
  }

  private static void json(Context ctx, int status, Object value) {
    try {
      ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops gracefully: new requests get 503, those in flight and queued are answered (for up to the
   * settings' grace period), then the HTTP server stops. The model stays open: its owner closes it.
   */
  public void stop() {
    stopping = true;
    long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
    while ((inFlight.get() > 0 || (batcher != null && batcher.queued() > 0)) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (batcher != null) {
      batcher.close();
    }
    app.stop();
  }

  @Override
  public void close() {
    stop();
  }
}
