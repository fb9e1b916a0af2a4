package dev.mtl.bench;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.data.TextLines;
import dev.mtl.core.registry.PluginRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prediction speed of a trained model through the Java API ({@link MultiTaskModel#predict}), text
 * in, every task's decoded prediction out: latency for one text at a time (p50, p90, p99 after a
 * warm-up) and throughput in batches of 64.
 *
 * <pre>
 * InferenceLatency MODEL_DIR TEXTS_FILE THREADS [texts] [warmup]
 * </pre>
 *
 * THREADS: PyTorch threads (one per process, so one setting per run of this program).
 *
 * TEXTS_FILE holds one text per line (bench/performance.sh times the texts the PyTorch reference
 * timed). Prints one JSON line: {@code p50_ms}, {@code p90_ms}, {@code p99_ms} and {@code
 * batch_texts_per_second}.
 */
public final class InferenceLatency {
  private static final int BATCH = 64;

  private InferenceLatency() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: InferenceLatency MODEL_DIR TEXTS_FILE THREADS [texts] [warmup]");
      System.exit(2);
    }
    Path file = Path.of(args[1]);
    int threads = Integer.parseInt(args[2]);
    int count = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 500;
    List<String> texts = new ArrayList<>();
    for (TextLines.Line line : TextLines.read(file)) {
      if (!line.text().isBlank()) {
        texts.add(line.text());
      }
    }
    if (texts.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no texts");
    }
    try (MultiTaskModel model = MultiTaskModel.load(Path.of(args[0]), PluginRegistry.load(), Map.of("threads", threads))) {
      for (int i = 0; i < warmup; i++) {
        model.predict(texts.get(i % texts.size()));
      }
      long[] nanos = new long[count];
      for (int i = 0; i < count; i++) {
        String text = texts.get(i % texts.size());
        long start = System.nanoTime();
        model.predict(text);
        nanos[i] = System.nanoTime() - start;
      }
      Arrays.sort(nanos);
      for (int i = 0; i < 10; i++) {
        model.predict(batch(texts, i));
      }
      // Batches for at least two seconds, so the figure does not hang on a few of them.
      int batches = 0;
      long start = System.nanoTime();
      long elapsed;
      do {
        model.predict(batch(texts, batches++));
        elapsed = System.nanoTime() - start;
      } while (elapsed < 2_000_000_000L);
      double seconds = elapsed / 1e9;
      System.out.printf(Locale.ROOT, "{\"p50_ms\": %.4f, \"p90_ms\": %.4f, \"p99_ms\": %.4f, \"batch_texts_per_second\": %.1f}%n",
          percentile(nanos, 50), percentile(nanos, 90), percentile(nanos, 99), batches * BATCH / seconds);
    }
  }

  private static List<String> batch(List<String> texts, int index) {
    List<String> out = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      out.add(texts.get((index * BATCH + i) % texts.size()));
    }
    return out;
  }

  private static double percentile(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
  }
}
