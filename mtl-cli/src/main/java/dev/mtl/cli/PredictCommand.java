package dev.mtl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.data.TextLines;
import dev.mtl.core.task.TaskPrediction;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mtl predict <model> [text...]}: one JSON line per text with every task's labels and scores. */
@Command(name = "predict", description = {
    "Predict every task for each text: texts as arguments, or one per line on standard input.",
    "Prints one JSON object per text, in order: {\"text\": ..., \"<task>\": {\"labels\": [...], \"scores\": {...}}, ...}",
    "(a regression task: {\"value\": ...}). Standard input is split at \\n only and decoded as UTF-8, else Windows-1252."})
final class PredictCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 256;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "the model directory (a run's model/ folder)")
  Path model;

  @Parameters(index = "1..*", paramLabel = "TEXT", description = "texts to classify; none: read standard input")
  List<String> texts = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (MultiTaskModel m = MultiTaskModel.load(model)) {
      if (!texts.isEmpty()) {
        print(out, m, texts);
        return 0;
      }
      // Exactly one output line per input line: lines end at \n only, and are decoded as training
      // data is (UTF-8, else Windows-1252), so a bare \r or a Latin-1 byte never splits or bends one.
      TextLines.Reader in = new TextLines.Reader(System.in);
      List<String> chunk = new ArrayList<>();
      for (TextLines.Line line = in.next(); line != null; line = in.next()) {
        chunk.add(line.text());
        // A full chunk, or all that has arrived so far: a user typing lines sees each answer at once.
        if (chunk.size() == CHUNK || !in.ready()) {
          print(out, m, chunk);
          chunk.clear();
        }
      }
      print(out, m, chunk);
    }
    return 0;
  }

  private static void print(PrintWriter out, MultiTaskModel m, List<String> texts) throws Exception {
    if (texts.isEmpty()) {
      return;
    }
    List<Map<String, TaskPrediction>> predictions = m.predict(texts);
    for (int i = 0; i < texts.size(); i++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("text", texts.get(i));
      row.putAll(predictions.get(i));
      out.println(JSON.writeValueAsString(row));
    }
    out.flush();
  }
}
