package dev.mtl.core.engine;

import dev.mtl.core.config.ConfigSection;
import java.util.Set;

/**
 * The optimizer of a training run, read from the {@code training} section.
 *
 * <pre>
 * training: {optimizer: adam, learning-rate: 0.001, warmup-steps: 200, decay: cosine,
 *            min-learning-rate: 0, weight-decay: 0.0001, clip-norm: 1.0, embedding-updates: sparse,
 *            layer-decay: 0.9, ema-decay: 0.999}
 * </pre>
 *
 * @param kind {@code adam}, {@code adamw} or {@code sgd}
 * @param learningRate peak step size
 * @param weightDecay with {@code adam} and {@code sgd}, L2 decay: {@code weightDecay · θ} is added
 *     to every trained parameter's gradient; with {@code adamw}, decoupled decay (Loshchilov and
 *     Hutter, ICLR 2019): each step also moves {@code θ ← θ − rate · weightDecay · θ}, outside
 *     Adam's moments, for weight matrices and embedding tables only (not biases, layer-norm scales
 *     or other vectors), as BERT's fine-tuning does (0: none)
 * @param clipNorm the global norm of all gradients is scaled down to at most this (0: no clipping)
 * @param warmupSteps the rate rises linearly from {@code learningRate / warmupSteps} to {@code
 *     learningRate} over these first steps
 * @param decay after warm-up: {@code none}, {@code linear} or {@code cosine} down to {@code
 *     minLearningRate} at the last step
 * @param minLearningRate where decay ends
 * @param embeddingUpdates {@code sparse}: a step computes gradients and updates only for the
 *     embedding rows its batches read, and other rows get the momentum steps they missed when next
 *     read or before the model predicts or is saved, so the parameters are dense Adam's (to float
 *     rounding) at much less work per step; {@code dense}: every row, every step. Tables whose rows
 *     get gradients without being read (weight decay, a base of other layers, under a penalty) are
 *     always dense.
 * @param layerDecay layer-wise learning-rate decay of a transformer (Howard and Ruder 2018; Clark
 *     et al. 2020): its top layer trains at the rate, each layer below at this factor times the rate
 *     of the layer above, its embeddings at the factor times the bottom layer's; everything else
 *     (heads, layers above) at the rate. 1: every parameter at the same rate.
 * @param averageDecay {@code ema-decay}: the network also keeps an exponential moving average of
 *     its trained parameters (Polyak and Juditsky 1992; as TensorFlow's ExponentialMovingAverage),
 *     updated after every step as {@code a ← d·a + (1 − d)·θ} with {@code d = min(averageDecay,
 *     (1 + n) / (10 + n))} at the n-th update, starting from the start values; evaluation,
 *     selection, saved models and prediction use the average, training goes on from the raw
 *     parameters (0: off)
 */
public record OptimizerSettings(String kind, double learningRate, double weightDecay, double clipNorm, int warmupSteps,
    String decay, double minLearningRate, String embeddingUpdates, double layerDecay, double averageDecay) {
  public static final Set<String> KINDS = Set.of("adam", "adamw", "sgd");
  public static final Set<String> DECAYS = Set.of("none", "linear", "cosine");
  public static final Set<String> EMBEDDING_UPDATES = Set.of("sparse", "dense");
  public static final String DEFAULT_EMBEDDING_UPDATES = "sparse";

  public OptimizerSettings {
    if (!EMBEDDING_UPDATES.contains(embeddingUpdates)) {
      throw new IllegalArgumentException("embedding-updates must be one of " + EMBEDDING_UPDATES + ", not '" + embeddingUpdates + "'");
    }
    if (!(layerDecay > 0 && layerDecay <= 1)) {
      throw new IllegalArgumentException("layer-decay must be in (0, 1], not " + layerDecay);
    }
    if (!(averageDecay >= 0 && averageDecay < 1)) {
      throw new IllegalArgumentException("ema-decay must be in [0, 1), not " + averageDecay);
    }
  }

  /** No moving average of the parameters. */
  public OptimizerSettings(String kind, double learningRate, double weightDecay, double clipNorm, int warmupSteps, String decay,
      double minLearningRate, String embeddingUpdates, double layerDecay) {
    this(kind, learningRate, weightDecay, clipNorm, warmupSteps, decay, minLearningRate, embeddingUpdates, layerDecay, 0);
  }

  /** No layer-wise decay. */
  public OptimizerSettings(String kind, double learningRate, double weightDecay, double clipNorm, int warmupSteps, String decay,
      double minLearningRate, String embeddingUpdates) {
    this(kind, learningRate, weightDecay, clipNorm, warmupSteps, decay, minLearningRate, embeddingUpdates, 1);
  }

  /** Default embedding updates. */
  public OptimizerSettings(String kind, double learningRate, double weightDecay, double clipNorm, int warmupSteps, String decay,
      double minLearningRate) {
    this(kind, learningRate, weightDecay, clipNorm, warmupSteps, decay, minLearningRate, DEFAULT_EMBEDDING_UPDATES);
  }

  /** A constant rate, no weight decay, no clipping. */
  public OptimizerSettings(String kind, double learningRate) {
    this(kind, learningRate, 0, 0, 0, "none", 0);
  }

  /** The same settings with {@code embedding-updates} set to {@code updates}. */
  public OptimizerSettings withEmbeddingUpdates(String updates) {
    return new OptimizerSettings(kind, learningRate, weightDecay, clipNorm, warmupSteps, decay, minLearningRate, updates, layerDecay,
        averageDecay);
  }

  /** The same settings with {@code ema-decay} set to {@code decay} (0: off). */
  public OptimizerSettings withAverageDecay(double decay) {
    return new OptimizerSettings(kind, learningRate, weightDecay, clipNorm, warmupSteps, this.decay, minLearningRate, embeddingUpdates,
        layerDecay, decay);
  }

  /** Whether the network keeps a moving average of its parameters (see {@link #averageDecay()}). */
  public boolean averages() {
    return averageDecay > 0;
  }

  /**
   * The decay of the {@code n}-th (1-based) update of the moving average: {@code averageDecay},
   * lower over the first updates so the random start is soon forgotten.
   */
  public double averageDecayAt(long n) {
    return Math.min(averageDecay, (1.0 + n) / (10.0 + n));
  }

  /** Adam's moments are kept ({@code adam} and {@code adamw}). */
  public boolean adaptive() {
    return !kind.equals("sgd");
  }

  /**
   * The weight decay of a parameter of {@code shape}: coupled (added to its gradient) unless {@link
   * #decoupledDecay()}, when vectors get none.
   */
  public double weightDecayOf(long[] shape) {
    return decoupledDecay() && shape.length < 2 ? 0 : weightDecay;
  }

  /** Whether weight decay is decoupled from the gradient ({@code adamw}). */
  public boolean decoupledDecay() {
    return kind.equals("adamw");
  }

  public boolean sparseEmbeddings() {
    return embeddingUpdates.equals("sparse");
  }

  public static OptimizerSettings read(ConfigSection training) {
    String kind = training.oneOf("optimizer", "adam", KINDS);
    double lr = training.number("learning-rate", 1e-3, 1e-9, 10);
    double weightDecay = training.number("weight-decay", 0, 0, 1);
    double clipNorm = training.number("clip-norm", 0, 0, 1e9);
    int warmup = training.integer("warmup-steps", 0, 0, Integer.MAX_VALUE);
    String decay = training.oneOf("decay", "none", DECAYS);
    double minRate = training.number("min-learning-rate", 0, 0, 10);
    if (minRate > lr) {
      training.problem("min-learning-rate", minRate, "must not exceed learning-rate (" + lr + ")");
    }
    String embeddingUpdates = training.oneOf("embedding-updates", DEFAULT_EMBEDDING_UPDATES, EMBEDDING_UPDATES);
    double layerDecay = training.number("layer-decay", 1, 1e-6, 1);
    double averageDecay = training.number("ema-decay", 0, 0, 0.999999);
    return new OptimizerSettings(kind, lr, weightDecay, clipNorm, warmup, decay, minRate, embeddingUpdates, layerDecay, averageDecay);
  }

  /** The learning rate of 0-based {@code step} in a run of {@code totalSteps}. */
  public double rateAt(long step, long totalSteps) {
    if (step < warmupSteps) {
      return learningRate * (step + 1) / warmupSteps;
    }
    long decaySteps = totalSteps - warmupSteps;
    double t = decaySteps <= 1 ? 0 : Math.min(1, (double) (step - warmupSteps) / (decaySteps - 1));
    return switch (decay) {
      case "linear" -> minLearningRate + (learningRate - minLearningRate) * (1 - t);
      case "cosine" -> minLearningRate + (learningRate - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * t));
      default -> learningRate;
    };
  }
}
