package com.example.mtlapp;

import dev.mtl.core.api.MultiTaskModel;
import dev.mtl.core.task.TaskPrediction;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Loads a trained mtl model and prints every task's prediction for each text given. */
public final class PredictApp {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: PredictApp <model-dir> <text>...");
      System.exit(2);
    }
    List<String> texts = Arrays.asList(args).subList(1, args.length);
    try (MultiTaskModel model = MultiTaskModel.load(Path.of(args[0]))) {
      List<Map<String, TaskPrediction>> predictions = model.predict(texts);
      for (int i = 0; i < texts.size(); i++) {
        System.out.println(texts.get(i));
        predictions.get(i).forEach((task, p) ->
            System.out.println("  " + task + ": " + (p.value() != null ? String.format("%.2f", p.value()) : p.labels())));
      }
    }
  }
}
