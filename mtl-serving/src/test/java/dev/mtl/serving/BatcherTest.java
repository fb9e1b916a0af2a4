package dev.mtl.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.task.TaskPrediction;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BatcherTest {
  /** A predictor that records each call's texts and, while {@code gate} is shut, holds the first call. */
  private static final class Recording implements Function<List<String>, List<Map<String, TaskPrediction>>> {
    final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);

    @Override
    public List<Map<String, TaskPrediction>> apply(List<String> texts) {
      calls.add(List.copyOf(texts));
      entered.countDown();
      try {
        gate.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return texts.stream().map(t -> Map.of("echo", TaskPrediction.classification(List.of(t), Map.of(t, 1.0)))).toList();
    }
  }

  private static DistributionSummary summary() {
    return DistributionSummary.builder("batch").register(new SimpleMeterRegistry());
  }

  @Test
  @DisplayName("requests queued while a batch is predicted go together into the next one, each answered with its own rows")
  void gathersQueuedRequests() throws Exception {
    Recording predictor = new Recording();
    try (Batcher batcher = new Batcher(predictor, 64, TimeUnit.MILLISECONDS.toNanos(1), 16, summary())) {
      CompletableFuture<List<Map<String, TaskPrediction>>> first = batcher.submit(List.of("a"));
      assertThat(predictor.entered.await(10, TimeUnit.SECONDS)).isTrue();
      List<CompletableFuture<List<Map<String, TaskPrediction>>>> queued = new ArrayList<>();
      for (String text : List.of("b", "c", "d")) {
        queued.add(batcher.submit(List.of(text, text + "2")));
      }
      predictor.gate.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).get(0).get("echo").labels()).containsExactly("a");
      for (int i = 0; i < queued.size(); i++) {
        String text = List.of("b", "c", "d").get(i);
        assertThat(queued.get(i).get(10, TimeUnit.SECONDS)).extracting(p -> p.get("echo").labels().get(0)).containsExactly(text, text + "2");
      }
      assertThat(predictor.calls).containsExactly(List.of("a"), List.of("b", "b2", "c", "c2", "d", "d2"));
    }
  }

  @Test
  @DisplayName("a full queue refuses at once instead of growing; closing answers what was queued")
  void boundedQueue() throws Exception {
    Recording predictor = new Recording();
    Batcher batcher = new Batcher(predictor, 1, 0, 2, summary());
    CompletableFuture<List<Map<String, TaskPrediction>>> busy = batcher.submit(List.of("a"));
    assertThat(predictor.entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<List<Map<String, TaskPrediction>>> second = batcher.submit(List.of("b"));
    CompletableFuture<List<Map<String, TaskPrediction>>> third = batcher.submit(List.of("c"));
    assertThatThrownBy(() -> batcher.submit(List.of("d"))).isInstanceOf(Batcher.Overloaded.class);
    predictor.gate.countDown();
    batcher.close();
    assertThat(busy.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(second.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(third.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThatThrownBy(() -> batcher.submit(List.of("e"))).isInstanceOf(Batcher.Overloaded.class);
  }
}
