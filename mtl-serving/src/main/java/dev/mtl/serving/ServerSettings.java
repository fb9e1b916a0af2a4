package dev.mtl.serving;

import java.time.Duration;

/**
 * How a {@link ModelServer} listens and batches.
 *
 * @param host the address to listen on ({@code 127.0.0.1}: this machine only; {@code 0.0.0.0}: every interface)
 * @param port the port; 0 picks a free one ({@link ModelServer#port()} says which)
 * @param maxBatchTexts texts predicted together at most; 1 turns batching off (each request is
 *     predicted on its own thread, as it arrives)
 * @param maxWait how long the first request of a batch waits for others to join it
 * @param queueCapacity requests waiting for a batch at most; beyond it a request gets 503 with Retry-After
 * @param maxRequestBytes the largest request body accepted (413 beyond)
 * @param maxTextsPerRequest the most texts one request may carry (413 beyond)
 * @param threads the HTTP threads that read requests and write answers
 * @param shutdownGrace how long a stop waits for requests in flight and queued to finish
 */
public record ServerSettings(String host, int port, int maxBatchTexts, Duration maxWait, int queueCapacity, long maxRequestBytes,
    int maxTextsPerRequest, int threads, Duration shutdownGrace) {

  public ServerSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port was " + port + " but must be 0 (a free port) to 65535");
    }
    if (maxBatchTexts < 1 || queueCapacity < 1 || maxTextsPerRequest < 1 || threads < 2 || maxRequestBytes < 1) {
      throw new IllegalArgumentException("batch size, queue capacity and request limits must be at least 1, and threads at least 2");
    }
  }

  /**
   * Loopback on {@code port}; batches of up to 64 texts made of the requests that queued while the
   * previous batch ran (no waiting: a lone request is predicted at once, and under load batches fill
   * by themselves); 256 requests queued at most.
   */
  public static ServerSettings defaults(int port) {
    return new ServerSettings("127.0.0.1", port, 64, Duration.ZERO, 256, 1 << 20, 1024, 32, Duration.ofSeconds(30));
  }

  public ServerSettings withBatching(int maxBatchTexts, Duration maxWait) {
    return new ServerSettings(host, port, maxBatchTexts, maxWait, queueCapacity, maxRequestBytes, maxTextsPerRequest, threads, shutdownGrace);
  }

  public ServerSettings withHost(String host) {
    return new ServerSettings(host, port, maxBatchTexts, maxWait, queueCapacity, maxRequestBytes, maxTextsPerRequest, threads, shutdownGrace);
  }

  public ServerSettings withQueueCapacity(int queueCapacity) {
    return new ServerSettings(host, port, maxBatchTexts, maxWait, queueCapacity, maxRequestBytes, maxTextsPerRequest, threads, shutdownGrace);
  }

  public ServerSettings withThreads(int threads) {
    return new ServerSettings(host, port, maxBatchTexts, maxWait, queueCapacity, maxRequestBytes, maxTextsPerRequest, threads, shutdownGrace);
  }

  public boolean batching() {
    return maxBatchTexts > 1;
  }
}
