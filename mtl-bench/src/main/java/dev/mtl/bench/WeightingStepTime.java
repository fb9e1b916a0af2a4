package dev.mtl.bench;

import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.inference.LengthBatcher;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.registry.PluginRegistry;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.task.DataSplit;
import dev.mtl.core.task.Task;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.LossWeighting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training-step time of each loss weighting relative to equal weights, measured side by side in
 * one JVM on a run config's model and data: every method trains its own network from the same
 * seed on the same batches, in rounds that rotate the order, so machine noise hits all alike.
 *
 * <pre>
 * WeightingStepTime CONFIG WEIGHTING[:gramian],... [steps-per-round] [rounds]
 * </pre>
 *
 * A weighting written {@code mgda:parameters} runs with {@code gramian: parameters}. Prints a
 * Markdown table: median milliseconds per step over the rounds, and the ratio to {@code equal}.
 */
public final class WeightingStepTime {
  private WeightingStepTime() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: WeightingStepTime CONFIG WEIGHTING[:gramian],... [steps-per-round] [rounds]");
      System.exit(2);
    }
    RunConfig config = RunConfig.load(Path.of(args[0]));
    List<String> methods = List.of(args[1].split(","));
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 40;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    PluginRegistry registry = PluginRegistry.load();
    ResolvedRun run = ResolvedRun.resolve(config, registry);

    Map<String, TaskData> train = new LinkedHashMap<>();
    for (Task task : run.tasks()) {
      train.put(task.name(), task.read(task.dataFile(DataSplit.TRAIN).orElseThrow()));
    }
    LinkedHashSet<List<String>> corpora = new LinkedHashSet<>();
    train.values().forEach(d -> corpora.add(d.texts()));
    List<String> texts = new ArrayList<>();
    corpora.forEach(texts::addAll);
    TextEncoder encoder = run.tokenizer().fit(texts);
    List<DataSource> sources = DataSource.group(train, encoder);
    ModelGraph graph = run.graph();
    int batchSize = config.training().batchSize();
    List<List<SourceBatch>> stepBatches = new ArrayList<>();
    List<List<int[]>> orders = new ArrayList<>();
    for (int s = 0; s < sources.size(); s++) {
      orders.add(LengthBatcher.trainingBatches(sources.get(s).tokens(), batchSize, new Random(config.seed() + s)));
    }
    for (int i = 0; i < steps; i++) {
      List<SourceBatch> step = new ArrayList<>();
      for (int s = 0; s < sources.size(); s++) {
        step.add(sources.get(s).batch(orders.get(s).get(i % orders.get(s).size())));
      }
      stepBatches.add(step);
    }

    List<String> tasks = run.tasks().stream().map(Task::name).toList();
    Map<String, LossWeighting> weightings = new LinkedHashMap<>();
    Map<String, Network> networks = new LinkedHashMap<>();
    Map<String, List<Double>> millis = new LinkedHashMap<>();
    try (Engine engine = run.engine()) {
      for (String method : methods) {
        String[] parts = method.split(":");
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("type", parts[0]);
        if (parts.length > 1) {
          settings.put("gramian", parts[1]);
        }
        ConfigSection section = ConfigSection.of("bench", Path.of("."), settings);
        weightings.put(method, registry.get(LossWeightingProvider.class, parts[0]).create(section, tasks));
        section.source().throwIfInvalid();
        networks.put(method, engine.create(new NetworkSpec(graph, encoder.vocabularySize(), encoder.paddingId()),
            config.training().optimizer(), config.seed()));
        millis.put(method, new ArrayList<>());
      }
      long step = 0;
      for (String method : methods) {
        // Warm-up: native kernels, allocator pools and the JIT.
        for (int i = 0; i < Math.min(10, steps); i++) {
          networks.get(method).trainStep(new TrainStep(stepBatches.get(i), weightings.get(method), i, 0,
              config.training().optimizer().learningRate(), GradientNeed.LOSSES_ONLY, metaBatches(weightings.get(method), stepBatches, i)));
        }
      }
      for (int round = 0; round < rounds; round++) {
        List<String> order = new ArrayList<>(methods);
        Collections.rotate(order, round);
        for (String method : order) {
          long start = System.nanoTime();
          for (int i = 0; i < steps; i++) {
            networks.get(method).trainStep(new TrainStep(stepBatches.get(i), weightings.get(method), step + i, 0,
                config.training().optimizer().learningRate(), GradientNeed.LOSSES_ONLY, metaBatches(weightings.get(method), stepBatches, i)));
          }
          millis.get(method).add((System.nanoTime() - start) / 1e6 / steps);
        }
        step += steps;
      }
      networks.values().forEach(Network::close);
    }
    double equal = median(millis.getOrDefault("equal", millis.get(methods.get(0))));
    System.out.println("| weighting | Gramian | ms/step (median of " + rounds + " rounds x " + steps + " steps) | x " + (millis.containsKey("equal") ? "equal" : methods.get(0)) + " |");
    System.out.println("|---|---|---:|---:|");
    for (String method : methods) {
      double m = median(millis.get(method));
      String gramian = switch (weightings.get(method).need()) {
        case LOSSES_ONLY -> "none";
        case GRAMIAN_ON_REPRESENTATION, GRADIENTS_ON_REPRESENTATION -> "representation";
        case GRAMIAN_ON_PARAMETERS -> "parameters";
        case GRAMIAN_WITH_META_BATCH -> "all parameters + meta batch";
      };
      System.out.printf("| %s | %s | %.1f | %.2f |%n", method.split(":")[0], gramian, m, m / equal);
    }
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** A bilevel weighting's meta batches for step i: the next step's batches, as the trainer draws a second batch per source. */
  private static List<SourceBatch> metaBatches(LossWeighting weighting, List<List<SourceBatch>> stepBatches, int i) {
    return weighting.need() == GradientNeed.GRAMIAN_WITH_META_BATCH ? stepBatches.get((i + 1) % stepBatches.size()) : List.of();
  }
}
