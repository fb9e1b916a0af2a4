package dev.mtl.core.run;

import dev.mtl.core.config.ConfigSection;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code pseudo-labels} and each task's {@code unlabeled}: training on unlabelled texts with the
 * model's own confident predictions, in rounds.
 *
 * <pre>
 * tasks:
 *   - name: sst2
 *     ...
 *     unlabeled: sst2-unlabeled.txt        # one text per line
 *     # or unlabeled: {file: held-out.txt, format: task}: the task's own format; the labels there
 *     #   never train, they only score the pseudo-labels
 *     # or unlabeled: {from-train: 0.9}: hide the labels of 90% of the training rows (experiments)
 * pseudo-labels:
 *   method: self-training    # or co-training
 *   rounds: 3
 *   confidence: 0.9          # a prediction's probability must reach this
 *   max-per-class: 1000      # most confident first, per class and round, to keep classes balanced
 *   weight: 0.5              # a pseudo-labelled row's loss counts this much of a gold row's
 *   second-view: [model.encoder=mean]   # co-training: --set overrides that make the second model
 * </pre>
 *
 * @param unlabeled per task that names unlabelled texts
 */
public record PseudoLabelSettings(Method method, int rounds, double confidence, int maxPerClass, double weight,
    List<String> secondView, Map<String, Unlabeled> unlabeled) {
  public static final String KEY = "pseudo-labels";
  public static final String TASK_KEY = "unlabeled";

  public enum Method {
    /** The model labels texts for its own next round. */
    SELF_TRAINING,
    /** Two models over different views label texts for each other's next round. */
    CO_TRAINING
  }

  /**
   * Where a task's unlabelled texts come from: a file, or a share of its own training rows.
   *
   * @param file the texts, or null with {@code fromTrain}
   * @param taskFormat true when the file is in the task's own format with gold labels (used only to
   *     score the pseudo-labels); false for one text per line
   * @param fromTrain when above 0, this share of the task's training rows (drawn with the run's
   *     seed) lose their labels and become the unlabelled texts, their labels kept only to score
   *     the pseudo-labels: for measuring what pseudo-labelling gains when labels are scarce
   */
  public record Unlabeled(Path file, boolean taskFormat, double fromTrain) {}

  public PseudoLabelSettings {
    secondView = List.copyOf(secondView);
    unlabeled = Collections.unmodifiableMap(new LinkedHashMap<>(unlabeled));
  }

  /** Reads each task's {@code unlabeled} and the {@code pseudo-labels} section; problems are recorded. */
  static Optional<PseudoLabelSettings> read(ConfigSection root, List<RunConfig.TaskEntry> tasks) {
    Map<String, Unlabeled> unlabeled = new LinkedHashMap<>();
    for (RunConfig.TaskEntry task : tasks) {
      ConfigSection s = task.settings();
      if (!s.has(TASK_KEY)) {
        continue;
      }
      if (s.values().get(TASK_KEY) instanceof Map<?, ?>) {
        ConfigSection u = s.section(TASK_KEY);
        if (u.has("from-train")) {
          double share = u.number("from-train", 0.9, 0.01, 0.99);
          if (u.has("file")) {
            u.problem("file", u.values().get("file"), "cannot go with from-train; give one source of unlabelled texts");
          }
          unlabeled.put(task.name(), new Unlabeled(null, true, share));
          continue;
        }
        Optional<Path> file = u.file("file");
        if (file.isEmpty() && !u.has("file")) {
          u.problem("file", null, "is required: the unlabelled texts of task '" + task.name() + "' (or from-train: <share>)");
        }
        String format = u.oneOf("format", "lines", Set.of("lines", "task"));
        file.ifPresent(f -> unlabeled.put(task.name(), new Unlabeled(f, format.equals("task"), 0)));
      } else {
        s.file(TASK_KEY).ifPresent(f -> unlabeled.put(task.name(), new Unlabeled(f, false, 0)));
      }
    }
    if (!root.has(KEY)) {
      if (!unlabeled.isEmpty()) {
        root.problem(KEY, null, "is needed: task '" + unlabeled.keySet().iterator().next() + "' names unlabelled texts,"
            + " which only pseudo-labelling uses. Add pseudo-labels: {rounds: 3, confidence: 0.9} or remove unlabeled");
      }
      return Optional.empty();
    }
    ConfigSection section = root.section(KEY);
    String method = section.oneOf("method", "self-training", Set.of("self-training", "co-training"));
    int rounds = section.integer("rounds", 3, 1, 100);
    double confidence = section.number("confidence", 0.9, 0, 1);
    int maxPerClass = section.integer("max-per-class", 1000, 1, Integer.MAX_VALUE);
    double weight = section.number("weight", 1.0, 1e-6, 1);
    List<String> secondView = section.strings("second-view");
    if (method.equals("co-training") && secondView.isEmpty()) {
      section.problem("second-view", null, "is required for co-training: --set overrides that make the second model see the"
          + " texts differently, e.g. [model.encoder=mean] or [sharing.type=soft]");
    }
    if (method.equals("self-training") && !secondView.isEmpty()) {
      section.problem("second-view", secondView, "is for co-training only; set method: co-training or remove it");
    }
    for (String override : secondView) {
      if (override.indexOf('=') <= 0) {
        section.problem("second-view", override, "must be KEY=VALUE overrides, e.g. model.encoder=mean");
      }
    }
    if (unlabeled.isEmpty()) {
      section.problem("method", method, "has nothing to label: give at least one task unlabeled: <file of texts>");
    }
    return Optional.of(new PseudoLabelSettings(method.equals("co-training") ? Method.CO_TRAINING : Method.SELF_TRAINING,
        rounds, confidence, maxPerClass, weight, secondView, unlabeled));
  }
}
