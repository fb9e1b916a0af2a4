package dev.mtl.engine.tensorflow;

import dev.mtl.core.engine.LossInputs;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.NonFiniteException;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.AuxiliaryLoss;
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ParameterOwner;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.GramianChoice;
import dev.mtl.core.weighting.WeightingInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A model graph trained as a TensorFlow graph through the TF Java API (DJL's TensorFlow engine
 * cannot train). Parameters have the names, shapes and, for the same seed, the starting values of
 * the PyTorch engine's, and go through the same Adam, clipping and non-finite guard. A step runs the
 * graph twice with the same dropout masks: once for the losses (and the Gramian when the weighting
 * needs one), then, with the weighting's answer fed in, for the update of Σ w_t L_t. The saved model
 * is a SavedModel that DJL's TensorFlow engine serves ({@link SavedModelNetwork}).
 */
final class TfNetwork implements Network {
  static final String SAVED_MODEL_DIR = "saved_model";
  static final String TOKENS_INPUT = "tokens";
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;

  private final ModelGraph graph;
  private final ParameterLayout layout;
  private final int paddingId;
  private final OptimizerSettings settings;
  private final long seed;
  private final int threads;
  private final Graph tfGraph = new Graph();
  private final Ops tf = Ops.create(tfGraph);
  private final Session session;
  private final TfLowering lowering;
  /** Every parameter by name, in creation order, with its shape. */
  private final Map<String, long[]> shapes = new LinkedHashMap<>();
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Variable<TFloat32>> mean = new LinkedHashMap<>();
  private final Map<String, Variable<TFloat32>> variance = new LinkedHashMap<>();
  /** The moving average of each trained parameter (see {@link OptimizerSettings#averageDecay()}); empty when off. */
  private final Map<String, Variable<TFloat32>> average = new LinkedHashMap<>();
  private final SettableVariables settable = new SettableVariables(tf);
  private final Set<String> trainable;
  private final Map<String, StepProgram> programs = new HashMap<>();
  private PredictProgram predictProgram;
  private long updates;

  /**
   * @param settings how to train, or null for a network that only predicts
   * @param saved parameters (and optimizer state) to start from, or null for fresh ones
   * @param optimizerState whether {@code saved} holds optimizer state to go on with (a checkpoint)
   */
  TfNetwork(NetworkSpec spec, OptimizerSettings settings, long seed, int threads, Path saved, boolean optimizerState)
      throws IOException {
    this.graph = spec.graph();
    this.paddingId = spec.paddingId();
    this.settings = settings;
    this.seed = seed;
    this.threads = threads;
    this.layout = ParameterLayout.of(graph, spec.vocabularySize(), paddingId);
    this.trainable = layout.trainableNames();
    Map<String, ParameterFile.Tensor> start = saved == null ? layout.initialValues(seed, spec.startValues()) : layout.readSaved(saved);
    Map<String, Operand<TFloat32>> values = new LinkedHashMap<>();
    int index = 0;
    for (Map.Entry<String, ParameterFile.Tensor> e : start.entrySet()) {
      shapes.put(e.getKey(), e.getValue().shape());
      Variable<TFloat32> v = variable("p" + index++, e.getValue().shape());
      variables.put(e.getKey(), v);
      values.put(e.getKey(), v);
    }
    if (settings != null && settings.adaptive()) {
      index = 0;
      for (String name : trainable) {
        mean.put(name, variable("m" + index, shapes.get(name)));
        variance.put(name, variable("v" + index++, shapes.get(name)));
      }
    }
    if (settings != null && settings.averages()) {
      index = 0;
      for (String name : trainable) {
        average.put(name, variable("a" + index++, shapes.get(name)));
      }
    }
    this.lowering = new TfLowering(tf, graph, values, paddingId);
    this.session = new Session(tfGraph, sessionConfig(threads));
    try {
      Map<Variable<TFloat32>, float[]> assign = new LinkedHashMap<>();
      start.forEach((name, tensor) -> assign.put(variables.get(name), tensor.values()));
      for (String name : mean.keySet()) {
        float[] zeros = new float[Math.toIntExact(size(shapes.get(name)))];
        assign.put(mean.get(name), zeros);
        assign.put(variance.get(name), zeros);
      }
      // The average starts at the start values (a checkpoint's own average replaces them below).
      average.forEach((name, a) -> assign.put(a, start.get(name).values()));
      if (saved != null && settings != null && optimizerState) {
        readOptimizer(saved, assign);
      }
      settable.assign(session, assign);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  static ConfigProto sessionConfig(int threads) {
    ConfigProto.Builder config = ConfigProto.newBuilder();
    if (threads > 0) {
      config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(1);
    }
    return config.build();
  }

  private Variable<TFloat32> variable(String name, long[] shape) {
    return settable.create(name, shape);
  }

  /**
   * Variables whose values Java sets: TF Java graph variables hold nothing until assigned, so each
   * gets a placeholder and an assign op, run with the values fed in.
   */
  static final class SettableVariables {
    private final Ops ops;
    private final Map<Variable<TFloat32>, Placeholder<TFloat32>> setters = new HashMap<>();
    private final Map<Variable<TFloat32>, Op> assigners = new HashMap<>();

    SettableVariables(Ops ops) {
      this.ops = ops;
    }

    Variable<TFloat32> create(String name, long[] shape) {
      Variable<TFloat32> v = ops.withName(name).variable(Shape.of(shape), TFloat32.class);
      Placeholder<TFloat32> value = ops.withName(name + "_value").placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
      setters.put(v, value);
      assigners.put(v, ops.withName(name + "_assign").assign(v, value));
      return v;
    }

    /** Sets every given variable in one session run. */
    void assign(Session session, Map<Variable<TFloat32>, float[]> values) {
      Session.Runner runner = session.runner();
      List<Tensor> fed = new ArrayList<>();
      try {
        values.forEach((v, data) -> {
          TFloat32 t = TFloat32.tensorOf(v.shape(), DataBuffers.of(data, true, false));
          fed.add(t);
          runner.feed(setters.get(v), t).addTarget(assigners.get(v));
        });
        runner.run();
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  private static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }


  // ---------------------------------------------------------------- training

  /** The graph of one kind of step: which tasks each source's batch trains, and what the weighting measures. */
  private final class StepProgram {
    final List<Placeholder<TInt64>> tokens = new ArrayList<>();
    final List<String> tasks = new ArrayList<>();
    final List<Placeholder<TFloat32>> targets = new ArrayList<>();
    final List<Placeholder<TFloat32>> labelled = new ArrayList<>();
    final List<Operand<TFloat32>> losses = new ArrayList<>();
    final Placeholder<TInt64> seedInput = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(2)));
    final Operand<TFloat32> penalty;
    final Operand<TFloat32> gramian;
    final Placeholder<TFloat32> weights = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
    final Placeholder<TFloat32> rate = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    final Placeholder<TFloat32> correctedRate = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    /** 1 − the moving average's decay at this update. */
    final Placeholder<TFloat32> averageKeep = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    final Operand<TFloat64> squaredNorm;
    final List<Op> updates = new ArrayList<>();

    StepProgram(List<List<String>> tasksBySource, GradientNeed gramianKind) {
      TfLowering.Pass last = null;
      Operand<TFloat32> auxiliary = null;
      for (List<String> sourceTasks : tasksBySource) {
        Placeholder<TInt64> ids = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
        tokens.add(ids);
        // Each source's batch draws its own dropout masks.
        last = lowering.pass(ids, tf.math.add(seedInput, tf.constant(new long[] {tokens.size() * 104729L, 0})));
        for (String task : sourceTasks) {
          Head head = graph.head(task);
          Placeholder<TFloat32> y = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, head.output().size())));
          Placeholder<TFloat32> mask = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
          tasks.add(task);
          targets.add(y);
          labelled.add(mask);
          losses.add(lowering.loss(head, last.logits(head), y, mask));
        }
        Operand<TFloat32> term = last.auxiliaryLoss(sourceTasks);
        if (term != null) {
          auxiliary = auxiliary == null ? term : tf.math.add(auxiliary, term);
        }
      }
      Operand<TFloat32> penaltyValue = lowering.penalty();
      if (auxiliary != null) {
        // Averaged over the step's batches, added to the penalties: neither is weighted by the weighting.
        auxiliary = tf.math.div(auxiliary, tf.constant((float) tasksBySource.size()));
        penaltyValue = penaltyValue == null ? auxiliary : tf.math.add(penaltyValue, auxiliary);
      }
      this.penalty = penaltyValue == null ? tf.constant(0f) : penaltyValue;
      this.gramian = gramianKind == GradientNeed.LOSSES_ONLY ? null : gramian(gramianKind, last);
      Operand<TFloat32> total = penalty;
      for (int t = 0; t < losses.size(); t++) {
        total = tf.math.add(total, tf.math.mul(losses.get(t), tf.gather(weights, tf.constant(t), tf.constant(0))));
      }
      // Only what this step's losses and the penalties reach has a gradient; the rest gets zero.
      Set<ParameterOwner> owners = new LinkedHashSet<>();
      tasks.forEach(task -> owners.addAll(graph.parametersOf(task)));
      graph.penalties().forEach(p -> p.layerIds().forEach(id -> owners.add(ParameterOwner.layer(id))));
      // A task discriminator learns only from batches labelled for one task.
      if (tasksBySource.stream().anyMatch(sourceTasks -> sourceTasks.size() == 1)) {
        graph.auxiliaryLosses().stream().filter(l -> l instanceof AuxiliaryLoss.TaskDiscriminator)
            .forEach(l -> owners.add(ParameterOwner.auxiliary(((AuxiliaryLoss.TaskDiscriminator) l).id())));
      }
      List<String> reached = layout.trainableNames(owners);
      List<Operand<?>> reachedVariables = reached.stream().<Operand<?>>map(variables::get).toList();
      Map<String, Operand<TFloat32>> gradients = new LinkedHashMap<>();
      if (!reachedVariables.isEmpty()) {
        int i = 0;
        for (Operand<?> g : tf.gradients(total, reachedVariables)) {
          gradients.put(reached.get(i++), asFloat(g));
        }
      }
      Operand<TFloat64> squares = tf.constant(0.0);
      for (Operand<TFloat32> g : gradients.values()) {
        // In float64: squares of finite float32 gradients can overflow float32.
        Operand<TFloat64> wide = tf.dtypes.cast(g, TFloat64.class);
        squares = tf.math.add(squares, tf.reduceSum(tf.math.square(tf.reshape(wide, tf.constant(new int[] {-1}))), tf.constant(0)));
      }
      this.squaredNorm = squares;
      Operand<TFloat32> norm = tf.dtypes.cast(tf.math.sqrt(squares), TFloat32.class);
      Operand<TBool> finite = tf.math.isFinite(norm);
      // Global norm clipping: one factor for every gradient, so the update keeps its direction.
      float clip = (float) settings.clipNorm();
      Operand<TFloat32> scale = clip > 0
          ? tf.select(tf.math.greater(norm, tf.constant(clip)), tf.math.div(tf.constant(clip), norm), tf.constant(1f))
          : tf.constant(1f);
      Map<String, Double> rateFactors = layout.learningRateFactors(settings.layerDecay());
      for (String name : trainable) {
        Variable<TFloat32> p = variables.get(name);
        Operand<TFloat32> g = gradients.containsKey(name) ? tf.math.mul(gradients.get(name), scale) : tf.zerosLike(p);
        float ownDecay = (float) settings.weightDecayOf(layout.shape(name));
        if (ownDecay > 0 && !settings.decoupledDecay()) {
          g = tf.math.add(g, tf.math.mul(p, tf.constant(ownDecay)));
        }
        Double factor = rateFactors.get(name);
        Operand<TFloat32> stepRate = factor == null ? rate : tf.math.mul(rate, tf.constant(factor.floatValue()));
        Operand<TFloat32> stepCorrectedRate = factor == null ? correctedRate : tf.math.mul(correctedRate, tf.constant(factor.floatValue()));
        Operand<TFloat32> next;
        if (mean.isEmpty()) {
          next = tf.math.sub(p, tf.math.mul(g, stepRate));
        } else {
          Variable<TFloat32> m = mean.get(name);
          Variable<TFloat32> v = variance.get(name);
          Operand<TFloat32> m1 = tf.math.add(tf.math.mul(m, tf.constant(BETA1)), tf.math.mul(g, tf.constant(1 - BETA1)));
          Operand<TFloat32> v1 = tf.math.add(tf.math.mul(v, tf.constant(BETA2)), tf.math.mul(tf.math.square(g), tf.constant(1 - BETA2)));
          next = tf.math.sub(p, tf.math.mul(stepCorrectedRate, tf.math.div(m1, tf.math.add(tf.math.sqrt(v1), tf.constant(EPSILON)))));
          if (ownDecay > 0 && settings.decoupledDecay()) {
            next = tf.math.sub(next, tf.math.mul(tf.math.mul(stepRate, tf.constant(ownDecay)), p));
          }
          // Non-finite gradients change nothing: the old values are written back.
          updates.add(tf.assign(m, tf.select(finite, m1, m)));
          updates.add(tf.assign(v, tf.select(finite, v1, v)));
        }
        updates.add(tf.assign(p, tf.select(finite, next, p)));
        Variable<TFloat32> a = average.get(name);
        if (a != null) {
          // a ← a − (1 − d)(a − θ), from the updated value.
          Operand<TFloat32> moved = tf.math.sub(a, tf.math.mul(tf.math.sub(a, next), averageKeep));
          updates.add(tf.assign(a, tf.select(finite, moved, a)));
        }
      }
    }

    /** The T x T Gramian of the tasks' gradients, on the shared representation or the shared parameters. */
    private Operand<TFloat32> gramian(GradientNeed kind, TfLowering.Pass last) {
      List<Operand<TFloat32>> vectors = new ArrayList<>();
      Operand<TInt32> flat = tf.constant(new int[] {-1});
      if (kind == GradientNeed.GRAMIAN_ON_REPRESENTATION) {
        Operand<TFloat32> z = last.output(graph.sharedRepresentation().orElseThrow());
        for (Operand<TFloat32> loss : losses) {
          vectors.add(tf.reshape(asFloat(tf.gradients(loss, List.of(z)).dy(0)), flat));
        }
      } else {
        List<String> shared = layout.trainableNames(graph.sharedParameters());
        for (int t = 0; t < losses.size(); t++) {
          Set<ParameterOwner> own = graph.parametersOf(tasks.get(t));
          List<String> reached = layout.trainableNames(own).stream().filter(shared::contains).toList();
          Map<String, Operand<TFloat32>> byName = new HashMap<>();
          if (!reached.isEmpty()) {
            int i = 0;
            for (Operand<?> g : tf.gradients(losses.get(t), reached.stream().<Operand<?>>map(variables::get).toList())) {
              byName.put(reached.get(i++), asFloat(g));
            }
          }
          List<Operand<TFloat32>> parts = new ArrayList<>();
          for (String name : shared) {
            Operand<TFloat32> g = byName.get(name);
            parts.add(tf.reshape(g == null ? tf.zerosLike(variables.get(name)) : g, flat));
          }
          vectors.add(tf.concat(parts, tf.constant(0)));
        }
      }
      Operand<TFloat32> stacked = tf.stack(vectors);
      return tf.linalg.matMul(stacked, stacked, MatMul.transposeB(true));
    }
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> asFloat(Operand<?> operand) {
    return (Operand<TFloat32>) operand;
  }

  @Override
  public StepResult trainStep(TrainStep request) {
    if (settings == null) {
      throw new IllegalStateException("this network was loaded for prediction; create one with Engine.create to train");
    }
    GradientNeed gramianKind = request.weighting().need() != GradientNeed.LOSSES_ONLY ? request.weighting().need() : request.measure();
    List<List<String>> tasksBySource = new ArrayList<>();
    for (SourceBatch batch : request.batches()) {
      List<String> tasks = new ArrayList<>();
      for (Head head : graph.heads()) {
        float[][] targets = batch.targets().get(head.task());
        // A task none of whose rows in this batch is labelled (partial labels) sits this step out.
        if (targets != null && Arrays.stream(targets).anyMatch(TaskData::isLabelled)) {
          tasks.add(head.task());
        }
      }
      tasksBySource.add(tasks);
    }
    if (gramianKind != GradientNeed.LOSSES_ONLY) {
      GramianChoice.problem(gramianKind, graph, tasksBySource).ifPresent(problem -> {
        throw new IllegalArgumentException("cannot compute the Gramian of task gradients (" + gramianKind + "): " + problem);
      });
    }
    StepProgram program = programs.computeIfAbsent(tasksBySource + "|" + gramianKind, k -> new StepProgram(tasksBySource, gramianKind));
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner first = session.runner();
      Session.Runner second = session.runner();
      int t = 0;
      for (int s = 0; s < request.batches().size(); s++) {
        SourceBatch batch = request.batches().get(s);
        Tensor ids = tokens(batch.tokens(), fed);
        first.feed(program.tokens.get(s), ids);
        second.feed(program.tokens.get(s), ids);
        for (String task : tasksBySource.get(s)) {
          Tensor[] target = targets(graph.head(task), batch.targets().get(task), batch.rowWeights().get(task), fed);
          first.feed(program.targets.get(t), target[0]).feed(program.labelled.get(t), target[1]);
          second.feed(program.targets.get(t), target[0]).feed(program.labelled.get(t), target[1]);
          t++;
        }
      }
      // Dropout masks depend only on the seed and the step, so a resumed run draws what an uninterrupted one draws.
      Tensor seedTensor = keep(fed, TInt64.vectorOf(seed, request.step()));
      first.feed(program.seedInput, seedTensor);
      second.feed(program.seedInput, seedTensor);
      program.losses.forEach(first::fetch);
      first.fetch(program.penalty);
      if (program.gramian != null) {
        first.fetch(program.gramian);
      }
      double[] values = new double[program.losses.size()];
      double penaltyValue;
      double[][] gramian = null;
      try (Result result = first.run()) {
        for (int i = 0; i < values.length; i++) {
          values[i] = ((TFloat32) result.get(i)).getFloat();
          if (!Double.isFinite(values[i])) {
            throw new NonFiniteException(request.step(), "task '" + program.tasks.get(i) + "' has the loss " + values[i]);
          }
        }
        penaltyValue = ((TFloat32) result.get(values.length)).getFloat();
        if (program.gramian != null) {
          gramian = matrix((TFloat32) result.get(values.length + 1), values.length);
        }
      }
      if (!Double.isFinite(penaltyValue)) {
        throw new NonFiniteException(request.step(), "the parameter penalty is " + penaltyValue);
      }
      double[] weights = LossInputs.checkedWeights(request.weighting(), new WeightingInput(request.step(), request.epoch(), program.tasks,
          values,
          Optional.ofNullable(gramian)));
      float[] weightValues = new float[weights.length];
      for (int i = 0; i < weights.length; i++) {
        weightValues[i] = (float) weights[i];
      }
      long nextUpdate = updates + 1;
      // Adam's bias correction folded into the rate, as the PyTorch engine does.
      float corrected = (float) (request.learningRate() * Math.sqrt(1 - Math.pow(BETA2, nextUpdate)) / (1 - Math.pow(BETA1, nextUpdate)));
      second.feed(program.weights, keep(fed, TFloat32.vectorOf(weightValues)))
          .feed(program.rate, keep(fed, TFloat32.scalarOf((float) request.learningRate())))
          .feed(program.correctedRate, keep(fed, TFloat32.scalarOf(corrected)))
          .feed(program.averageKeep, keep(fed, TFloat32.scalarOf((float) (average.isEmpty() ? 0 : 1 - settings.averageDecayAt(nextUpdate)))))
          .fetch(program.squaredNorm);
      program.updates.forEach(second::addTarget);
      double norm;
      try (Result result = second.run()) {
        norm = Math.sqrt(((TFloat64) result.get(0)).getDouble());
      }
      if (!Double.isFinite(norm)) {
        throw new NonFiniteException(request.step(),
            "the gradients are not finite (norm " + norm + "; losses " + Arrays.toString(values) + ")");
      }
      updates = nextUpdate;
      Map<String, Double> lossByTask = new LinkedHashMap<>();
      Map<String, Double> weightByTask = new LinkedHashMap<>();
      for (int i = 0; i < program.tasks.size(); i++) {
        lossByTask.put(program.tasks.get(i), values[i]);
        weightByTask.put(program.tasks.get(i), weights[i]);
      }
      return new StepResult(lossByTask, weightByTask, penaltyValue, Optional.ofNullable(gramian));
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private static <T extends Tensor> T keep(List<Tensor> fed, T tensor) {
    fed.add(tensor);
    return tensor;
  }

  private static double[][] matrix(TFloat32 tensor, int n) {
    double[][] out = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        out[i][j] = tensor.getFloat(i, j);
      }
    }
    return out;
  }

  /** Token rows padded to the longest with the padding id, as a {@code (batch, time)} int64 tensor. */
  static TInt64 tokenTensor(TokenBatch batch, int paddingId) {
    return TInt64.tensorOf(Shape.of(batch.size(), paddedLength(batch)), DataBuffers.of(paddedIds(batch, paddingId), true, false));
  }

  /** Time steps of a padded batch: the longest row, at least 1 so an all-empty batch still has a shape. */
  static int paddedLength(TokenBatch batch) {
    return Math.max(1, batch.maxLength());
  }

  /** Token rows padded to {@link #paddedLength} with {@code paddingId}, row-major. */
  static long[] paddedIds(TokenBatch batch, int paddingId) {
    int time = paddedLength(batch);
    long[] ids = new long[batch.size() * time];
    Arrays.fill(ids, paddingId);
    for (int b = 0; b < batch.size(); b++) {
      int[] row = batch.rows()[b];
      for (int t = 0; t < row.length; t++) {
        ids[b * time + t] = row[t];
      }
    }
    return ids;
  }

  private Tensor tokens(TokenBatch batch, List<Tensor> fed) {
    return keep(fed, tokenTensor(batch, paddingId));
  }

  /**
   * A head's targets as {@code (batch, outputs)} (one-hot for softmax) and the rows' weights: 0 for
   * rows without a label, else the row's weight (1 unless pseudo-labelled).
   */
  private static Tensor[] targets(Head head, float[][] targets, float[] rowWeights, List<Tensor> fed) {
    int rows = targets.length;
    float[] dense = LossInputs.denseTargets(head, targets);
    float[] labelled = LossInputs.weighted(LossInputs.labelledRows(targets), rowWeights);
    return new Tensor[] {
        keep(fed, TFloat32.tensorOf(Shape.of(rows, head.output().size()), DataBuffers.of(dense, true, false))),
        keep(fed, TFloat32.tensorOf(Shape.of(rows), DataBuffers.of(labelled, true, false)))};
  }

  // ---------------------------------------------------------------- prediction and saving

  private record PredictProgram(Placeholder<TInt64> tokens, Map<String, Operand<TFloat32>> scores) {}

  private synchronized PredictProgram predictProgram() {
    if (predictProgram == null) {
      Placeholder<TInt64> ids = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
      TfLowering.Pass pass = readableLowering().pass(ids, null);
      Map<String, Operand<TFloat32>> scores = new LinkedHashMap<>();
      graph.heads().forEach(head -> scores.put(head.task(), pass.scores(head)));
      predictProgram = new PredictProgram(ids, scores);
    }
    return predictProgram;
  }

  /** The lowering predictions read: over the moving average where one is kept, else over the parameters. */
  private TfLowering readableLowering() {
    if (average.isEmpty()) {
      return lowering;
    }
    Map<String, Operand<TFloat32>> values = new LinkedHashMap<>(variables);
    values.putAll(average);
    return new TfLowering(tf, graph, values, paddingId);
  }

  @Override
  public Map<String, float[][]> predict(TokenBatch tokens, Collection<String> tasks) {
    PredictProgram program = predictProgram();
    List<String> wanted = graph.heads().stream().map(Head::task).filter(tasks::contains).toList();
    Map<String, float[][]> out = new LinkedHashMap<>();
    try (TInt64 ids = tokenTensor(tokens, paddingId)) {
      Session.Runner runner = session.runner().feed(program.tokens(), ids);
      wanted.forEach(task -> runner.fetch(program.scores().get(task)));
      try (Result result = runner.run()) {
        for (int i = 0; i < wanted.size(); i++) {
          out.put(wanted.get(i), rows((TFloat32) result.get(i)));
        }
      }
    }
    return out;
  }

  static float[][] rows(TFloat32 tensor) {
    int rows = (int) tensor.shape().get(0);
    int width = (int) tensor.shape().get(1);
    float[] flat = new float[rows * width];
    tensor.asRawTensor().data().asFloats().read(flat);
    float[][] out = new float[rows][width];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(flat, i * width, out[i], 0, width);
    }
    return out;
  }

  /** Current values of the given variables, by name. */
  private Map<String, ParameterFile.Tensor> read(Map<String, Variable<TFloat32>> which) {
    Map<String, ParameterFile.Tensor> out = new LinkedHashMap<>();
    if (which.isEmpty()) {
      return out;
    }
    Session.Runner runner = session.runner();
    which.values().forEach(runner::fetch);
    try (Result result = runner.run()) {
      int i = 0;
      for (String name : which.keySet()) {
        TFloat32 t = (TFloat32) result.get(i++);
        float[] values = new float[Math.toIntExact(t.shape().size())];
        t.asRawTensor().data().asFloats().read(values);
        out.put(name, new ParameterFile.Tensor(shapes.get(name), values));
      }
    }
    return out;
  }

  /** Writes the engine-neutral parameter file and a SavedModel that DJL's TensorFlow engine serves. */
  @Override
  public void save(Path directory) throws IOException {
    Map<String, ParameterFile.Tensor> values = read(variables);
    values.putAll(read(average));
    ParameterFile.write(directory.resolve(ParameterLayout.FILE), values);
    exportSavedModel(graph, paddingId, values, directory.resolve(SAVED_MODEL_DIR));
  }

  /**
   * A SavedModel of the forward pass for prediction: signature {@code serving_default} with input
   * {@code tokens} ({@code (batch, time)} int64, padded with the padding id) and one output per task
   * named after it, holding the scores after the loss's activation.
   */
  static void exportSavedModel(ModelGraph graph, int paddingId, Map<String, ParameterFile.Tensor> values,
      Path directory) throws IOException {
    try (Graph g = new Graph()) {
      Ops ops = Ops.create(g);
      Map<String, Operand<TFloat32>> parameters = new LinkedHashMap<>();
      SettableVariables variables = new SettableVariables(ops);
      Map<Variable<TFloat32>, float[]> assign = new LinkedHashMap<>();
      int index = 0;
      for (var e : values.entrySet()) {
        Variable<TFloat32> v = variables.create("p" + index++, e.getValue().shape());
        assign.put(v, e.getValue().values());
        parameters.put(e.getKey(), v);
      }
      TfLowering lowering = new TfLowering(ops, graph, parameters, paddingId);
      Placeholder<TInt64> ids = ops.withName(TOKENS_INPUT).placeholder(TInt64.class, Placeholder.shape(Shape.of(-1, -1)));
      TfLowering.Pass pass = lowering.pass(ids, null);
      Signature.Builder signature = Signature.builder().key(Signature.DEFAULT_KEY).input(TOKENS_INPUT, ids);
      for (Head head : graph.heads()) {
        signature.output(head.task(), ops.withName("scores_" + head.task().replaceAll("[^A-Za-z0-9_]", "_")).identity(pass.scores(head)));
      }
      try (Session s = new Session(g)) {
        variables.assign(s, assign);
        Files.createDirectories(directory.getParent());
        SavedModelBundle.exporter(directory.toString()).withSession(s).withSignature(signature.build()).export();
      }
    }
  }

  @Override
  public void saveCheckpoint(Path directory) throws IOException {
    ParameterFile.write(directory.resolve(ParameterLayout.FILE), read(variables));
    Map<String, ParameterFile.Tensor> state = new LinkedHashMap<>();
    read(mean).forEach((name, t) -> state.put("mean/" + name, t));
    read(variance).forEach((name, t) -> state.put("variance/" + name, t));
    read(average).forEach((name, t) -> state.put("average/" + name, t));
    // The same layout as the PyTorch engine's optimizer file.
    state.put("updates", new ParameterFile.Tensor(new long[] {2}, new float[] {(float) (updates >>> 24), (float) (updates & 0xFFFFFF)}));
    ParameterFile.write(directory.resolve(ParameterLayout.OPTIMIZER_FILE), state);
  }

  private void readOptimizer(Path directory, Map<Variable<TFloat32>, float[]> assign) throws IOException {
    Path file = directory.resolve(ParameterLayout.OPTIMIZER_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: the checkpoint holds no optimizer state; it cannot be resumed");
    }
    for (var e : ParameterFile.read(file).entrySet()) {
      String name = e.getKey();
      if (name.equals("updates")) {
        updates = ((long) e.getValue().values()[0] << 24) | (long) e.getValue().values()[1];
      } else {
        String kind = name.substring(0, Math.max(0, name.indexOf('/')));
        Map<String, Variable<TFloat32>> target = switch (kind) {
          case "mean" -> mean;
          case "variance" -> variance;
          case "average" -> average;
          default -> throw new IOException(file + " holds optimizer state '" + name + "' this mtl does not know; the checkpoint was"
              + " written by another version and cannot be resumed");
        };
        // Resumed with ema-decay off, a checkpoint's average is not needed.
        if (kind.equals("average") && average.isEmpty()) {
          continue;
        }
        Variable<TFloat32> v = target.get(name.substring(name.indexOf('/') + 1));
        if (v == null) {
          throw new IOException(file + " holds optimizer state for " + name + ", which this model does not train. Retrain or restore it.");
        }
        assign.put(v, e.getValue().values());
      }
    }
  }

  @Override
  public long parameterCount() {
    return trainable.stream().mapToLong(name -> size(shapes.get(name))).sum();
  }

  @Override
  public void close() {
    try {
      if (session != null) {
        session.close();
      }
    } finally {
      tfGraph.close();
    }
  }
}
