package dev.mtl.serving;

import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.task.TaskPrediction;
import io.micrometer.core.instrument.DistributionSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Dynamic batching: requests wait in a bounded queue; one worker takes the first, gathers more for
 * up to {@code maxWait} or until {@code maxBatchTexts} texts, predicts them in one call and hands
 * each request its rows. Under load, batches fill and one pass serves many requests; alone, a
 * request waits at most {@code maxWait}. The worker holds a {@link GracefulStop} guard from its
 * start, so requests accepted before a SIGTERM are still predicted while the server drains.
 */
final class Batcher implements AutoCloseable {
  /** A request's texts and where its predictions go. */
  private record Pending(List<String> texts, CompletableFuture<List<Map<String, TaskPrediction>>> result) {}

  /** The queue is full: the caller should answer 503 and ask the client to retry. */
  static final class Overloaded extends Exception {
    Overloaded() {
      super(null, null, false, false);
    }
  }

  /** Predicts texts in order: the model's {@code predict}. */
  private final Function<List<String>, List<Map<String, TaskPrediction>>> predictor;
  private final int maxBatchTexts;
  private final long maxWaitNanos;
  private final BlockingQueue<Pending> queue;
  private final DistributionSummary batchTexts;
  private final Thread worker;
  private volatile boolean open = true;

  Batcher(Function<List<String>, List<Map<String, TaskPrediction>>> predictor, int maxBatchTexts, long maxWaitNanos, int capacity,
      DistributionSummary batchTexts) {
    this.predictor = predictor;
    this.maxBatchTexts = maxBatchTexts;
    this.maxWaitNanos = maxWaitNanos;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.batchTexts = batchTexts;
    this.worker = new Thread(this::work, "mtl-batcher");
    worker.setDaemon(true);
    worker.start();
  }

  /** Queues {@code texts}; the future completes with their predictions, in order. */
  CompletableFuture<List<Map<String, TaskPrediction>>> submit(List<String> texts) throws Overloaded {
    CompletableFuture<List<Map<String, TaskPrediction>>> result = new CompletableFuture<>();
    if (!open || !queue.offer(new Pending(texts, result))) {
      throw new Overloaded();
    }
    return result;
  }

  int queued() {
    return queue.size();
  }

  private void work() {
    try (GracefulStop.Guard guard = GracefulStop.enter()) {
      while (open || !queue.isEmpty()) {
        Pending first = queue.poll(50, TimeUnit.MILLISECONDS);
        if (first != null) {
          predict(gather(first));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      // Whatever could not be predicted is answered, never left hanging.
      for (Pending p; (p = queue.poll()) != null; ) {
        p.result().completeExceptionally(new IllegalStateException("the server stopped before predicting this request"));
      }
    }
  }

  /** The first request and those that join it within the wait, up to the batch size. */
  private List<Pending> gather(Pending first) throws InterruptedException {
    List<Pending> batch = new ArrayList<>();
    batch.add(first);
    int texts = first.texts().size();
    long deadline = System.nanoTime() + maxWaitNanos;
    while (texts < maxBatchTexts) {
      long left = deadline - System.nanoTime();
      Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
      if (next == null) {
        break;
      }
      batch.add(next);
      texts += next.texts().size();
    }
    return batch;
  }

  private void predict(List<Pending> batch) {
    List<String> texts = new ArrayList<>();
    batch.forEach(p -> texts.addAll(p.texts()));
    batchTexts.record(texts.size());
    try {
      List<Map<String, TaskPrediction>> predictions = predictor.apply(texts);
      int from = 0;
      for (Pending p : batch) {
        p.result().complete(predictions.subList(from, from + p.texts().size()));
        from += p.texts().size();
      }
    } catch (RuntimeException e) {
      batch.forEach(p -> p.result().completeExceptionally(e));
    }
  }

  /** Stops taking requests and waits (up to a minute) for the worker to predict those queued. */
  @Override
  public void close() {
    open = false;
    try {
      worker.join(TimeUnit.SECONDS.toMillis(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
