package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.serving.ModelServer;
import dev.mtl.serving.ServerSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code mtl serve}'s server on a free loopback port, with a small model trained on real data. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path dir;
  private Path modelDir;
  private MultiTaskModel model;
  private List<String> texts;

  @BeforeAll
  void train() throws Exception {
    Path train = EndToEndTest.firstLines("goemotions/ekman/train.tsv", 600, dir.resolve("train.tsv"));
    Path sst = EndToEndTest.firstLines("sentence-classic/stsa.binary.train", 400, dir.resolve("sst.txt"));
    Path config = Files.writeString(dir.resolve("serve.yaml"), """
        name: serve
        output: run
        tasks:
          - {name: ekman, type: text-classification, format: tsv, multi-label: true, label-encoding: index,
             labels: %s, train: %s}
          - {name: sst2, type: text-classification, labels: [negative, positive], label-encoding: index, train: %s}
        tokenizer: {type: words, min-frequency: 1}
        model: {embedding-size: 16, encoder: cnn, hidden-size: 16}
        training: {epochs: 1, batch-size: 32}
        """.formatted(EndToEndTest.shared("goemotions/ekman/labels.txt"), train, sst));
    EndToEndTest.Result r = EndToEndTest.run("train", config.toString(), "--quiet");
    assertThat(r.code()).as(r.err()).isZero();
    modelDir = dir.resolve("run/model");
    model = MultiTaskModel.load(modelDir);
    texts = Files.readAllLines(EndToEndTest.shared("sentence-classic/stsa.binary.test")).stream().limit(64)
        .map(l -> l.substring(2)).toList();
  }

  @AfterAll
  void close() {
    model.close();
  }

  private ModelServer serve(ServerSettings settings) throws Exception {
    ModelServer server = ModelServer.start(settings, () -> model);
    server.awaitReady();
    return server;
  }

  private HttpResponse<String> post(ModelServer server, String body) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/predict"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(ModelServer server, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** What {@code mtl predict} prints for a text, as a JSON tree. */
  private JsonNode expected(String text) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("text", text);
    row.putAll(model.predict(text));
    return JSON.valueToTree(row);
  }

  /**
   * The same prediction: equal labels, and scores equal up to float rounding (libtorch's kernels may
   * sum in another order on another thread).
   */
  private static void assertSame(JsonNode actual, JsonNode expected, String what) {
    assertThat(actual.fieldNames()).toIterable().as(what).containsExactlyElementsOf(expected::fieldNames);
    assertThat(actual.get("text")).as(what).isEqualTo(expected.get("text"));
    expected.fieldNames().forEachRemaining(task -> {
      if (!task.equals("text")) {
        assertThat(actual.get(task).get("labels")).as(what + " " + task).isEqualTo(expected.get(task).get("labels"));
        expected.get(task).get("scores").fieldNames().forEachRemaining(label -> assertThat(actual.get(task).get("scores").get(label).asDouble())
            .as(what + " " + task + " " + label).isCloseTo(expected.get(task).get("scores").get(label).asDouble(), Offset.offset(1e-6)));
      }
    });
  }

  private static String body(String field, Object value) throws IOException {
    return JSON.writeValueAsString(Map.of(field, value));
  }

  @Test
  @DisplayName("health is 503 while the model loads, and predict says so; 200 once loaded; /model lists tasks and labels")
  void readyOnceLoaded() throws Exception {
    CountDownLatch loaded = new CountDownLatch(1);
    ModelServer server = ModelServer.start(ServerSettings.defaults(0), () -> {
      loaded.await(30, TimeUnit.SECONDS);
      return model;
    });
    try {
      HttpResponse<String> loading = get(server, "/health");
      assertThat(loading.statusCode()).isEqualTo(503);
      assertThat(loading.headers().firstValue("Retry-After")).contains("1");
      assertThat(JSON.readTree(loading.body()).get("status").asText()).isEqualTo("loading");
      assertThat(post(server, body("text", "x")).body()).contains("the model is still loading");
      loaded.countDown();
      server.awaitReady();
      assertThat(get(server, "/health").statusCode()).isEqualTo(200);
      JsonNode about = JSON.readTree(get(server, "/model").body());
      assertThat(about.get("tasks").get("sst2").get("labels")).hasSize(2);
      assertThat(about.get("tasks").get("ekman").get("labels")).hasSize(7);
    } finally {
      server.stop();
    }
  }

  @Test
  @DisplayName("POST /predict answers one text as mtl predict does, a list in order, with tasks/threshold/top_k")
  void predicts() throws Exception {
    ModelServer server = serve(ServerSettings.defaults(0));
    try {
      HttpResponse<String> one = post(server, body("text", texts.get(0)));
      assertThat(one.statusCode()).isEqualTo(200);
      assertSame(JSON.readTree(one.body()), expected(texts.get(0)), "one text");
      JsonNode many = JSON.readTree(post(server, body("texts", texts.subList(0, 10))).body()).get("predictions");
      for (int i = 0; i < 10; i++) {
        assertSame(many.get(i), expected(texts.get(i)), "text " + i);
      }
      JsonNode chosen = JSON.readTree(post(server, "{\"text\": \"" + texts.get(1) + "\", \"tasks\": [\"ekman\"], \"threshold\": 0, \"top_k\": 2}").body());
      assertThat(chosen.fieldNames()).toIterable().containsExactly("text", "ekman");
      assertThat(chosen.get("ekman").get("labels")).hasSize(2);
    } finally {
      server.stop();
    }
  }

  @Test
  @DisplayName("concurrent requests, batched or each on its own thread, get exactly the one-by-one answers")
  void concurrentRequests() throws Exception {
    for (ServerSettings settings : List.of(ServerSettings.defaults(0), ServerSettings.defaults(0).withBatching(1, Duration.ZERO))) {
      ModelServer server = serve(settings);
      ExecutorService clients = Executors.newFixedThreadPool(16);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<JsonNode>> answers = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
          String text = texts.get(i % texts.size());
          answers.add(clients.submit(() -> {
            start.await();
            HttpResponse<String> r = post(server, body("text", text));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
          }));
        }
        start.countDown();
        for (int i = 0; i < answers.size(); i++) {
          assertSame(answers.get(i).get(60, TimeUnit.SECONDS), expected(texts.get(i % texts.size())),
              "batching " + settings.batching() + ", request " + i);
        }
        String metrics = get(server, "/metrics").body();
        assertThat(metrics).contains("mtl_requests_seconds_count{endpoint=\"predict\",status=\"200\"} 128");
        if (settings.batching()) {
          assertThat(metrics).contains("mtl_batch_texts_sum 128.0");
        }
      } finally {
        clients.shutdownNow();
        server.stop();
      }
    }
  }

  @Test
  @DisplayName("bad requests get a 4xx naming the problem, and the server goes on answering")
  void badRequests() throws Exception {
    ModelServer server = serve(ServerSettings.defaults(0));
    try {
      Map<String, String> problems = new LinkedHashMap<>();
      problems.put("not json", "the body is not JSON");
      problems.put("[1, 2]", "the body must be a JSON object");
      problems.put("{\"txt\": \"a\"}", "unknown field 'txt'");
      problems.put("{\"text\": \"a\", \"texts\": [\"b\"]}", "give exactly one of");
      problems.put("{\"text\": 3}", "\"text\" must be a string, not number");
      problems.put("{\"texts\": []}", "must be a non-empty list");
      problems.put("{\"texts\": [\"a\", null]}", "texts[1] must be a string, not null");
      problems.put("{\"text\": \"a\", \"tasks\": [\"emotion\"]}", "tasks names 'emotion' but this model's tasks are [ekman, sst2]");
      problems.put("{\"text\": \"a\", \"threshold\": 2}", "threshold was 2.0 but must be a probability in [0, 1]");
      problems.put("{\"text\": \"a\", \"top_k\": \"x\"}", "\"top_k\" must be a whole number");
      for (Map.Entry<String, String> p : problems.entrySet()) {
        HttpResponse<String> r = post(server, p.getKey());
        assertThat(r.statusCode()).as(p.getKey()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("error").asText()).as(p.getKey()).contains(p.getValue());
      }
      List<String> tooMany = new ArrayList<>();
      for (int i = 0; i < 1025; i++) {
        tooMany.add("t");
      }
      assertThat(post(server, body("texts", tooMany)).statusCode()).isEqualTo(413);
      assertThat(post(server, body("text", "x".repeat(2 << 20))).statusCode()).isEqualTo(413);
      HttpResponse<String> missing = get(server, "/nowhere");
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(missing.body()).get("error").asText()).contains("POST /predict");
      assertThat(get(server, "/predict").statusCode()).isEqualTo(405);
      assertThat(post(server, body("text", texts.get(0))).statusCode()).isEqualTo(200);
    } finally {
      server.stop();
    }
  }

  @Test
  @DisplayName("more requests than the queue holds: 503 with Retry-After for the rest, right answers for those taken")
  void overload() throws Exception {
    ModelServer server = serve(ServerSettings.defaults(0).withQueueCapacity(1));
    ExecutorService clients = Executors.newFixedThreadPool(24);
    try {
      // Each request is bigger than a batch, so the worker predicts one at a time while the others arrive.
      List<String> big = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        big.add(texts.get(i % texts.size()));
      }
      CountDownLatch start = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        answers.add(clients.submit(() -> {
          start.await();
          return post(server, body("texts", big));
        }));
      }
      start.countDown();
      int refused = 0;
      for (Future<HttpResponse<String>> answer : answers) {
        HttpResponse<String> r = answer.get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 503) {
          refused++;
          assertThat(r.headers().firstValue("Retry-After")).contains("1");
          assertThat(r.body()).contains("at capacity");
        } else {
          assertThat(r.statusCode()).isEqualTo(200);
          assertSame(JSON.readTree(r.body()).get("predictions").get(5), expected(big.get(5)), "a big request");
        }
      }
      assertThat(refused).isPositive().isLessThan(24);
      assertThat(get(server, "/health").statusCode()).isEqualTo(200);
    } finally {
      clients.shutdownNow();
      server.stop();
    }
  }

  @Test
  @DisplayName("stop answers the requests in flight, refuses new ones, then closes the port")
  void gracefulStop() throws Exception {
    ModelServer server = serve(ServerSettings.defaults(0).withBatching(64, Duration.ofMillis(20)));
    int port = server.port();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String text = texts.get(i);
        answers.add(clients.submit(() -> {
          start.await();
          return post(server, body("text", text));
        }));
      }
      start.countDown();
      server.stop();
      // Clients still starting read the port after the stop: it stays the one the server listened on.
      assertThat(server.port()).isEqualTo(port);
      for (int i = 0; i < answers.size(); i++) {
        HttpResponse<String> r;
        try {
          r = answers.get(i).get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          // Reached the port only after it closed: never accepted.
          assertThat(e.getCause()).isInstanceOf(IOException.class);
          continue;
        }
        // Accepted before the stop: answered in full; arrived after: refused, never cut off.
        if (r.statusCode() == 200) {
          assertSame(JSON.readTree(r.body()), expected(texts.get(i)), "request " + i);
        } else {
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.body()).contains("shutting down");
        }
      }
      assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
          HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    } finally {
      clients.shutdownNow();
    }
  }
}
