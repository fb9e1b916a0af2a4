package dev.mtl.core.training;

import dev.mtl.core.assembly.PreparedModel;
import dev.mtl.core.assembly.ResolvedRun;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.Lookahead;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.inference.DataSource;
import dev.mtl.core.run.RunConfig;
import dev.mtl.core.run.TrainingSettings;
import dev.mtl.core.text.FeatureCache;
import dev.mtl.core.text.SentenceEncoder;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.weighting.GradientNeed;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Which tasks help each other: a short training run of the config (its model as the trainer builds
 * it, word vectors included, its sharing, weighting, optimizer and batch size) that, every {@code
 * every} steps before the step, measures on the step's batches (1) lookahead inter-task affinity
 * (Fifty et al. 2021, "Efficiently Identifying Task Groupings for Multi-Task Learning"): how much a
 * gradient step on task i's loss, on the shared parameters only, lowers task j's loss, relative to
 * that loss; and (2) the cosine similarity of the tasks' gradients on the shared parameters. Both
 * are averaged over the measurements; {@link #groupings} turns the affinity into suggested task
 * groups.
 */
public final class TaskAffinity {

  /**
   * @param tasks in matrix order
   * @param affinity mean {@code Z[i][j]}: the relative drop of task j's loss from a step on task i
   * @param cosine mean cosine similarity of the tasks' gradients on the shared parameters
   * @param measurements how many steps were measured
   * @param steps training steps run
   * @param rate the lookahead step size
   */
  public record Result(List<String> tasks, double[][] affinity, double[][] cosine, int measurements, int steps, double rate) {}

  /**
   * One way to split the tasks into groups (each group a model of its own).
   *
   * @param score the mean over tasks of the mean affinity its group-mates give it ({@code Z[j][i]});
   *     a task alone gets 0
   */
  public record Grouping(List<List<String>> groups, double score) {}

  /** Hears each measurement, for progress. */
  public interface Listener {
    void onMeasured(int step, int steps, Lookahead lookahead);
  }

  public Result measure(ResolvedRun run, int steps, int every, double rate, Listener listener) throws IOException {
    if (steps < 1 || every < 1) {
      throw new IllegalArgumentException("steps and every must be at least 1, got " + steps + " and " + every);
    }
    RunConfig config = run.config();
    TrainingData data = TrainingData.read(run.tasks(), run.config().holdouts());
    try (SentenceEncoder pretrained = run.pretrained()) {
      FeatureCache features = pretrained == null ? null : FeatureCache.inMemory(pretrained);
      PreparedModel prepared = PreparedModel.prepare(run, data.train(), features);
      TextEncoder encoder = prepared.encoder();
      List<DataSource> sources = prepared.trainSources();
      TrainingSettings settings = config.training();
      List<String> tasks = run.tasks().stream().map(t -> t.name()).toList();
      int n = tasks.size();
      double[][] affinity = new double[n][n];
      double[][] cosine = new double[n][n];
      int[][] counts = new int[n][n];
      int measurements = 0;
      try (GracefulStop.Guard guard = GracefulStop.enter();
          Engine engine = run.engine();
          Network network = engine.create(prepared.spec(), settings.optimizer(), config.seed())) {
        prepared.startFromPretrained(network);
        List<Iterator<int[]>> streams = new ArrayList<>();
        for (int s = 0; s < sources.size(); s++) {
          streams.add(new MultiTaskTrainer.CyclingBatches(sources.get(s), settings.batchSize(), new Random(config.seed() * 31 + s)));
        }
        for (int step = 0; step < steps; step++) {
          GracefulStop.throwIfRequested();
          List<SourceBatch> batches = new ArrayList<>();
          for (int s = 0; s < sources.size(); s++) {
            batches.add(sources.get(s).batch(streams.get(s).next()));
          }
          if (step % every == 0) {
            Lookahead look = network.lookahead(batches, rate);
            double[][] z = look.affinity();
            double[][] c = look.cosine();
            for (int i = 0; i < look.tasks().size(); i++) {
              for (int j = 0; j < look.tasks().size(); j++) {
                int a = tasks.indexOf(look.tasks().get(i));
                int b = tasks.indexOf(look.tasks().get(j));
                if (Double.isFinite(z[i][j]) && Double.isFinite(c[i][j])) {
                  affinity[a][b] += z[i][j];
                  cosine[a][b] += c[i][j];
                  counts[a][b]++;
                }
              }
            }
            measurements++;
            listener.onMeasured(step, steps, look);
          }
          List<SourceBatch> metaBatches = new ArrayList<>();
          if (run.weighting().need() == GradientNeed.GRAMIAN_WITH_META_BATCH) {
            for (int s = 0; s < sources.size(); s++) {
              metaBatches.add(sources.get(s).batch(streams.get(s).next()));
            }
          }
          network.trainStep(new TrainStep(batches, run.weighting(), step, 0, settings.optimizer().rateAt(step, steps),
              GradientNeed.LOSSES_ONLY, metaBatches));
        }
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          affinity[i][j] = counts[i][j] == 0 ? Double.NaN : affinity[i][j] / counts[i][j];
          cosine[i][j] = counts[i][j] == 0 ? Double.NaN : cosine[i][j] / counts[i][j];
        }
      }
      return new Result(tasks, affinity, cosine, measurements, steps, rate);
    }
  }

  /**
   * The best split of the tasks into each number of groups from 1 to {@code maxGroups}, by {@link
   * Grouping#score}; every split of up to 10 tasks is tried.
   */
  public static List<Grouping> groupings(List<String> tasks, double[][] affinity, int maxGroups) {
    if (tasks.size() > 10) {
      throw new IllegalArgumentException("grouping tries every split; " + tasks.size() + " tasks are too many (at most 10)");
    }
    Grouping[] best = new Grouping[Math.min(maxGroups, tasks.size()) + 1];
    partitions(tasks.size(), 0, new int[tasks.size()], 0, assignment -> {
      int groups = Arrays.stream(assignment).max().orElse(0) + 1;
      if (groups >= best.length) {
        return;
      }
      double score = score(assignment, affinity);
      if (best[groups] == null || score > best[groups].score() + 1e-12) {
        List<List<String>> named = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
          List<String> members = new ArrayList<>();
          for (int t = 0; t < assignment.length; t++) {
            if (assignment[t] == g) {
              members.add(tasks.get(t));
            }
          }
          named.add(members);
        }
        best[groups] = new Grouping(named, score);
      }
    });
    List<Grouping> out = new ArrayList<>();
    for (int g = 1; g < best.length; g++) {
      out.add(best[g]);
    }
    return out;
  }

  private static double score(int[] assignment, double[][] affinity) {
    double total = 0;
    for (int i = 0; i < assignment.length; i++) {
      double sum = 0;
      int mates = 0;
      for (int j = 0; j < assignment.length; j++) {
        if (j != i && assignment[j] == assignment[i] && Double.isFinite(affinity[j][i])) {
          sum += affinity[j][i];
          mates++;
        }
      }
      total += mates == 0 ? 0 : sum / mates;
    }
    return total / assignment.length;
  }

  /** Every set partition as group numbers in first-appearance order (restricted growth strings). */
  private static void partitions(int n, int index, int[] assignment, int used, Consumer<int[]> visit) {
    if (index == n) {
      visit.accept(assignment);
      return;
    }
    for (int g = 0; g <= used && g < n; g++) {
      assignment[index] = g;
      partitions(n, index + 1, assignment, Math.max(used, g + 1), visit);
    }
  }
}
