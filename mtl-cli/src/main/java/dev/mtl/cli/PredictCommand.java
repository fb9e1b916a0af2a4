package dev.mtl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.api.PredictionFilter;
import dev.mtl.core.data.TextLines;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.task.TaskPrediction;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl predict <model> [text...]}: one JSON line per text with every task's labels and scores. */
@Command(name = "predict", mixinStandardHelpOptions = true, versionProvider = MtlCli.Version.class,
    header = "Predict every task for texts given as arguments, on standard input or in a file.",
    description = {
        "Prints one JSON object per text, in order: {\"text\": ..., \"<task>\": {\"labels\": [...], "
            + "\"scores\": {...}}, ...} (a regression task: {\"value\": ...}). Lines are split at \\n only and "
            + "decoded as UTF-8, else Windows-1252.",
        "A multi-label task predicts the labels at or above the threshold the model holds for each (0.5, or "
            + "chosen on dev with `threshold: tune`); --threshold replaces them and --top-k keeps the most likely."})
final class PredictCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 256;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "the model directory (a run's model/ folder)")
  Path model;

  @Parameters(index = "1..*", paramLabel = "TEXT", description = "texts to classify; none: read --input or standard input")
  List<String> texts = new ArrayList<>();

  @Option(names = "--tasks", paramLabel = "TASK", split = ",", description = "only these tasks (default: all of the model's)")
  List<String> tasks = new ArrayList<>();

  @Option(names = "--threshold", paramLabel = "P",
      description = "multi-label tasks: predict every label whose probability is at least P, instead of the thresholds the model holds")
  Double threshold;

  @Option(names = "--top-k", paramLabel = "K", description = "classification tasks: at most the K most likely labels, most likely first; "
      + "a multi-label task keeps those at or above its thresholds, unless --threshold 0; a single-label task ranks its K best")
  Integer topK;

  @Option(names = "--input", paramLabel = "FILE", description = "read texts from this file, one per line (instead of standard input)")
  Path input;

  @Option(names = "--output", paramLabel = "FILE", description = "write the JSON lines to this file (written whole, atomically) instead of standard output")
  Path output;

  @Override
  public Integer call() throws Exception {
    if (input != null && !texts.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give texts as arguments or --input FILE, not both");
    }
    if (input != null && !Files.isRegularFile(input)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--input " + input + " does not exist or is not a file");
    }
    try (MultiTaskModel m = MultiTaskModel.load(model)) {
      PredictionFilter decisions;
      try {
        decisions = PredictionFilter.of(m, tasks, threshold, topK);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--" + e.getMessage());
      }
      if (output == null) {
        predictAll(m, decisions, spec.commandLine().getOut());
      } else {
        AtomicFiles.writeFile(output, stream -> {
          PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8)));
          predictAll(m, decisions, out);
          out.flush();
        });
      }
    }
    return 0;
  }

  private void predictAll(MultiTaskModel m, PredictionFilter decisions, PrintWriter out) throws IOException {
    if (!texts.isEmpty()) {
      print(out, m, decisions, texts);
      return;
    }
    // Exactly one output line per input line: lines end at \n only, and are decoded as training
    // data is (UTF-8, else Windows-1252), so a bare \r or a Latin-1 byte never splits or bends one.
    try (InputStream stream = input == null ? null : Files.newInputStream(input)) {
      TextLines.Reader in = new TextLines.Reader(stream == null ? System.in : stream);
      List<String> chunk = new ArrayList<>();
      for (TextLines.Line line = in.next(); line != null; line = in.next()) {
        chunk.add(line.text());
        // A full chunk, or all that has arrived so far: a user typing lines sees each answer at once.
        if (chunk.size() == CHUNK || (input == null && !in.ready())) {
          print(out, m, decisions, chunk);
          chunk.clear();
        }
      }
      print(out, m, decisions, chunk);
    }
  }

  private static void print(PrintWriter out, MultiTaskModel m, PredictionFilter decisions, List<String> texts) throws IOException {
    if (texts.isEmpty()) {
      return;
    }
    GracefulStop.throwIfRequested(); // SIGTERM ends a long stream between chunks
    List<Map<String, TaskPrediction>> predictions = m.predict(texts);
    for (int i = 0; i < texts.size(); i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("text", texts.get(i));
      row.putAll(decisions.apply(predictions.get(i)));
      out.println(JSON.writeValueAsString(row));
    }
    out.flush();
  }
}
