package dev.mtl.core.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.io.JsonFiles;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.task.TaskMetrics;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run's {@code training-log.jsonl}: one JSON object per line and event (logged steps, skipped
 * steps, evaluations, early stops, stops and interruptions, word vectors and features used),
 * flushed line by line so a crash loses nothing that was written.
 */
final class TrainingLog implements Closeable {
  static final String FILE = "training-log.jsonl";
  private static final ObjectMapper JSON = JsonFiles.mapper();

  private final Path file;
  private final BufferedWriter writer;

  private TrainingLog(Path file, BufferedWriter writer) {
    this.file = file;
    this.writer = writer;
  }

  /** A new log; its first line says which layout the lines have: {@code {"event":"log","schema_version":1}}. */
  static TrainingLog create(Path file) throws IOException {
    TrainingLog log = new TrainingLog(file, Files.newBufferedWriter(file));
    log.write("event", "log", JsonFiles.SCHEMA_KEY, JsonFiles.SCHEMA_VERSION);
    return log;
  }

  /** The log of a resumed run: what came after the checkpoint's {@code keepBytes} belongs to steps that run again. */
  static TrainingLog resume(Path file, long keepBytes) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(keepBytes);
    }
    return new TrainingLog(file, Files.newBufferedWriter(file, StandardOpenOption.APPEND));
  }

  /** Bytes written so far, all on disk: a checkpoint records it. */
  long bytes() throws IOException {
    writer.flush();
    return Files.size(file);
  }

  /** A logged step: each task's loss and weight, the penalty and, when measured, the gradient cosines. */
  void step(int epoch, long step, StepResult result) throws IOException {
    Map<String, Object> event = event("event", "step", "epoch", epoch, "step", step, "losses", result.losses(), "weights",
        result.weights(), "penalty", result.penalty());
    Map<String, Double> cosines = result.cosines();
    if (!cosines.isEmpty()) {
      event.put("gradient_cosine", cosines);
    }
    write(event);
  }

  void skipped(int epoch, long step, String reason) throws IOException {
    write(event("event", "skipped", "epoch", epoch, "step", step, "reason", reason));
  }

  void stopped(int epoch, long step, String reason) throws IOException {
    write(event("event", "stopped", "epoch", epoch, "step", step, "reason", reason));
  }

  /** An evaluation inside an epoch ({@code training.eval-every}), after {@code step} steps. */
  void evaluation(int epoch, long step, Map<String, TaskMetrics> dev) throws IOException {
    write(event("event", "evaluation", "epoch", epoch, "step", step, "split", "dev", "metrics", dev));
  }

  /** The evaluation that ends an epoch, with the epoch's means. */
  void epochEnd(TrainingListener.EpochSummary summary, long step) throws IOException {
    write(event("event", "evaluation", "epoch", summary.epoch(), "step", step, "split", "dev", "metrics", summary.dev(), "train_loss",
        summary.meanLoss(), "mean_weight", summary.meanWeight(), "mean_gradient_cosine", summary.meanCosine()));
  }

  void earlyStop(int epoch, long step, int bestEpoch, long bestStep, String selectBy) throws IOException {
    write(event("event", "early-stop", "epoch", epoch, "step", step, "best_epoch", bestEpoch, "best_step", bestStep, "select_by",
        selectBy));
  }

  /** A task that stops training ({@code stop-tasks}): its patience ran out; the others go on. */
  void taskStop(String task, int epoch, long step, int bestEpoch) throws IOException {
    write(event("event", "task-stop", "task", task, "epoch", epoch, "step", step, "best_epoch", bestEpoch));
  }

  /** An epoch of one task's fine-tuning (epoch 0: its starting point), and whether its state was kept. */
  void fineTuneEpoch(String task, int epoch, Double meanLoss, Map<String, TaskMetrics> dev, boolean kept) throws IOException {
    write(event("event", "fine-tune", "task", task, "epoch", epoch, "train_loss", meanLoss, "split", "dev", "metrics", dev, "kept", kept));
  }

  void interrupted(int epoch, long step) throws IOException {
    write(event("event", "interrupted", "epoch", epoch, "step", step));
  }

  /** Any other event, as key-value pairs in order (e.g. the word vectors or features a run uses). */
  void write(Object... keyValues) throws IOException {
    write(event(keyValues));
  }

  private void write(Map<String, Object> event) throws IOException {
    writer.write(JSON.writeValueAsString(event));
    writer.newLine();
    writer.flush();
  }

  private static Map<String, Object> event(Object... keyValues) {
    Map<String, Object> event = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      event.put((String) keyValues[i], keyValues[i + 1]);
    }
    return event;
  }

  @Override
  public void close() throws IOException {
    writer.close();
  }
}
