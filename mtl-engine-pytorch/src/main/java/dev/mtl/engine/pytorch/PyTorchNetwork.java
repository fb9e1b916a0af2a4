package dev.mtl.engine.pytorch;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.mtl.core.engine.Lookahead;
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
import dev.mtl.core.model.Head;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.task.LossKind;
import dev.mtl.core.task.TaskData;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.MetaGradients;
import dev.mtl.core.weighting.GramianChoice;
import dev.mtl.core.weighting.RepresentationGradients;
import dev.mtl.core.weighting.WeightingInput;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model graph on DJL's PyTorch engine: parameters, training step and prediction.
 *
 * <p>Native memory: an array DJL makes from Java data on the CPU (token ids, masks, targets, row
 * weights, scalars, embedding-row indices) is a view of a Java direct buffer ({@code
 * torchFromBlob}), valid only while its Java array is open. So every such array belongs to the
 * step's (or prediction's) scope, which closes after the last native operation that reads it,
 * backward included; nothing made in a step outlives it except what the network's own manager
 * owns (parameters, optimizer state, caught-up copies). Never use DJL's number overloads
 * ({@code x.mul(0.5f)}) in a graph autograd records: see {@link Lowering#scalar}.
 */
final class PyTorchNetwork implements Network {
  private final NDManager manager;
  private final ParameterSet parameters;
  private final ModelGraph graph;
  private final Lowering lowering;
  private final int paddingId;
  private final int vocabularySize;
  private final Updater optimizer;
  /** Embedding tables that steps update row by row (empty: every table is updated whole). */
  private final Set<String> rowUpdated;
  /**
   * Token id → its position among the current step's rows (see StepRows). Kept across steps to
   * spare an allocation per step: a step writes the entries of its own ids and reads no others.
   */
  private final int[] slot;
  private final long seed;
  private final double clipNorm;
  /** See {@link #FUSED_PADDING}; tests set -1 (a pass per source) and infinity (one pass for all). */
  double fusedPadding = FUSED_PADDING;
  /** See {@link #readableParameters()}; null until read after the last change. */
  private Map<String, NDArray> caughtUp;
  /** The graph's shared representation, if any, worked out once (the graph never changes). */
  private final String sharedRepresentation;
  /** Parameter names per purpose ("shared", "all:task", "above:task"), computed once from the graph. */
  private final Map<String, List<String>> parameterNames = new HashMap<>();

  /** A network to train, with parameters from a seeded generator. */
  static PyTorchNetwork create(NDManager parent, NetworkSpec spec, OptimizerSettings optimizer, long seed) {
    NDManager manager = parent.newSubManager();
    ParameterSet parameters = ParameterSet.initial(manager, spec, seed);
    return new PyTorchNetwork(manager, parameters, spec, optimizer, seed);
  }

  /** A network to go on training, with parameters and optimizer state read from a checkpoint. */
  static PyTorchNetwork resume(NDManager parent, NetworkSpec spec, OptimizerSettings optimizer, long seed, Path checkpoint)
      throws IOException {
    return read(parent, spec, optimizer, seed, checkpoint, true);
  }

  /** A network to train further from saved parameters, with a fresh optimizer. */
  static PyTorchNetwork startFrom(NDManager parent, NetworkSpec spec, OptimizerSettings optimizer, long seed, Path directory)
      throws IOException {
    return read(parent, spec, optimizer, seed, directory, false);
  }

  /** A network for prediction, with parameters read from {@code directory}. */
  static PyTorchNetwork load(NDManager parent, NetworkSpec spec, Path directory) throws IOException {
    return read(parent, spec, null, 0, directory, false);
  }

  /** Parameters (and, to train, the optimizer's state) from {@code directory}; nothing is left open on failure. */
  private static PyTorchNetwork read(NDManager parent, NetworkSpec spec, OptimizerSettings optimizer, long seed, Path directory,
      boolean optimizerState) throws IOException {
    ParameterLayout layout = ParameterLayout.of(spec.graph(), spec.vocabularySize(), spec.paddingId());
    Map<String, ParameterFile.Tensor> saved = layout.readSaved(directory);
    NDManager manager = parent.newSubManager();
    try {
      PyTorchNetwork network = new PyTorchNetwork(manager, new ParameterSet(manager, layout, saved), spec, optimizer, seed);
      if (optimizerState) {
        network.optimizer.load(directory);
      }
      return network;
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** @param settings how to train, or null for a network that only predicts */
  private PyTorchNetwork(NDManager manager, ParameterSet parameters, NetworkSpec spec, OptimizerSettings settings, long seed) {
    ModelGraph graph = spec.graph();
    int vocabularySize = spec.vocabularySize();
    int paddingId = spec.paddingId();
    this.manager = manager;
    this.seed = seed;
    this.parameters = parameters;
    this.graph = graph;
    this.sharedRepresentation = graph.sharedRepresentation().orElse(null);
    this.lowering = new Lowering(graph, parameters, manager);
    this.paddingId = paddingId;
    this.vocabularySize = vocabularySize;
    this.slot = settings == null ? null : new int[vocabularySize];
    // With weight decay an unread row still has a gradient (decay · θ): only dense updates are exact.
    this.rowUpdated = settings != null && settings.sparseEmbeddings() && settings.weightDecay() == 0
        ? parameters.layout().rowUpdatableEmbeddings() : Set.of();
    // Their gradient collects on each step's rows (see StepRows), never on the whole table.
    rowUpdated.forEach(name -> parameters.arrays().get(name).setRequiresGradient(false));
    this.clipNorm = settings == null ? 0 : settings.clipNorm();
    this.optimizer = settings == null ? null
        : new Updater(manager, settings, parameters.layout().learningRateFactors(settings.layerDecay()));
    restartAverage();
  }

  @Override
  public void setEmbeddingRows(String layerId, int[] ids, float[][] rows) {
    NDArray table = parameters.arrays().get(layerId + ".weight");
    if (table == null) {
      throw new IllegalArgumentException("no embedding table '" + layerId + ".weight' in this network");
    }
    int width = (int) table.getShape().get(1);
    float[] flat = new float[ids.length * width];
    long[] index = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (rows[i].length != width) {
        throw new IllegalArgumentException("row for id " + ids[i] + " has " + rows[i].length + " values; the table is " + width + " wide");
      }
      System.arraycopy(rows[i], 0, flat, i * width, width);
      index[i] = ids[i];
    }
    forgetCaughtUp();
    // Written outside autograd: the table is a leaf that requires gradients.
    JniUtils.setGradMode(false);
    try (NDManager scope = manager.newSubManager()) {
      table.set(new NDIndex("{}", scope.create(index)), scope.create(flat, new Shape(ids.length, width)));
    }
    restartAverage();
  }


  @Override
  public void setParameters(Map<String, ParameterFile.Tensor> values) {
    parameters.layout().checkGivenStart(values);
    forgetCaughtUp();
    // Written outside autograd: parameters are leaves that require gradients.
    JniUtils.setGradMode(false);
    values.forEach((name, tensor) -> parameters.arrays().get(name).set(FloatBuffer.wrap(tensor.values())));
    restartAverage();
  }

  /** Parameters set before training are where the moving average starts. */
  private void restartAverage() {
    if (optimizer != null) {
      optimizer.startAverage(parameters.arrays(), parameters.trainableNames());
    }
  }

  @Override
  public StepResult trainStep(TrainStep request) {
    if (optimizer == null) {
      throw new IllegalStateException("this network was loaded for prediction; create one with Engine.create to train");
    }
    forgetCaughtUp();
    // Dropout masks depend only on the seed and the step, so a resumed run draws what an uninterrupted one draws.
    Engine.getEngine(PyTorchEngine.ENGINE).setRandomSeed(Long.hashCode(seed * 0x9E3779B97F4A7C15L + request.step()));
    lowering.atStep(request.step());
    GradientNeed gramianKind = request.weighting().need() != GradientNeed.LOSSES_ONLY ? request.weighting().need() : request.measure();
    String detachAt = null;
    if (gramianKind != GradientNeed.LOSSES_ONLY) {
      List<List<String>> sources = request.batches().stream()
          .map(b -> lowering.heads().stream().map(Head::task).filter(b.targets()::containsKey).toList()).toList();
      GramianChoice.problem(gramianKind, graph, sources).ifPresent(problem -> {
        throw new IllegalArgumentException("cannot compute the Gramian of task gradients (" + gramianKind + "): " + problem);
      });
      detachAt = gramianKind.onRepresentation() ? sharedRepresentation : null;
    }
    try (NDManager scope = manager.newSubManager();
        GradientCollector collector = Engine.getEngine(PyTorchEngine.ENGINE).newGradientCollector()) {
      // The meta batches' rows too: their gradients enter the Gramian (and, for FORUM, the update).
      StepRows rows = rowUpdated.isEmpty() ? null
          : new StepRows(scope, concat(request.batches(), request.metaBatches()), rowUpdated);
      TaskLosses forward = taskLosses(scope, request.batches(), rows, true, detachAt);
      List<String> tasks = forward.tasks();
      List<NDArray> losses = forward.losses();
      Lowering.Pass lastPass = forward.lastPass();
      double[] values = new double[losses.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = losses.get(i).getFloat();
        if (!Double.isFinite(values[i])) {
          throw new NonFiniteException(request.step(), "task '" + tasks.get(i) + "' has the loss " + values[i]);
        }
      }
      NDArray penalty = lowering.penalty(scope);
      NDArray auxiliary = forward.auxiliary();
      double penaltyValue = (penalty == null ? 0 : penalty.getFloat()) + (auxiliary == null ? 0 : auxiliary.getFloat());
      if (!Double.isFinite(penaltyValue)) {
        throw new NonFiniteException(request.step(), "the parameter penalty and auxiliary losses are " + penaltyValue);
      }
      double[] weights;
      double[][] gramian = null;
      Map<String, NDArray> taskGradients = Map.of();
      if (gramianKind == GradientNeed.LOSSES_ONLY) {
        weights = LossInputs.checkedWeights(request.weighting(), new WeightingInput(request.step(), request.epoch(), tasks, values,
            Optional.empty()));
        NDArray total = penalty == null ? auxiliary : auxiliary == null ? penalty : penalty.add(auxiliary);
        for (int i = 0; i < losses.size(); i++) {
          NDArray term = losses.get(i).mul(Lowering.scalar(scope, (float) weights[i]));
          total = total == null ? term : total.add(term);
        }
        collector.backward(total);
      } else if (gramianKind == GradientNeed.GRAMIAN_WITH_META_BATCH) {
        MetaStep meta = metaStep(scope, request.metaBatches(), tasks, losses, rows, auxiliary != null);
        gramian = meta.trainingGramian();
        WeightingInput input = new WeightingInput(request.step(), request.epoch(), tasks, values, Optional.of(gramian),
            Optional.empty(), Optional.of(meta.gradients()));
        weights = LossInputs.checkedWeights(request.weighting(), input);
        Optional<double[]> metaWeights = LossInputs.checkedMetaWeights(request.weighting(), input, weights);
        if (auxiliary != null) {
          JniUtils.backward((PtNDArray) auxiliary, (PtNDArray) scope.ones(auxiliary.getShape()), false, false);
        }
        if (penalty != null) {
          collector.backward(penalty);
        }
        taskGradients = meta.weighted(weights, metaWeights);
      } else {
        PerTaskGradients perTask = perTaskGradients(scope, tasks, losses, gramianKind, detachAt == null ? null : lastPass.representation(),
            rows, auxiliary != null);
        gramian = perTask.gramian();
        Optional<RepresentationGradients> atRepresentation = gramianKind == GradientNeed.GRADIENTS_ON_REPRESENTATION
            ? Optional.of(representationGradients(lastPass.representation().leaf(), perTask.atRepresentation()))
            : Optional.empty();
        WeightingInput input = new WeightingInput(request.step(), request.epoch(), tasks, values, Optional.of(gramian),
            atRepresentation);
        weights = LossInputs.checkedWeights(request.weighting(), input);
        Optional<float[]> combination = atRepresentation.isEmpty() ? Optional.empty()
            : LossInputs.checkedCombination(request.weighting(), input, weights, atRepresentation.get().values().length);
        NDArray auxiliaryAtRepresentation = null;
        if (auxiliary != null) {
          // Unweighted, into the parameters' gradients (and the representation's, passed on below).
          JniUtils.backward((PtNDArray) auxiliary, (PtNDArray) scope.ones(auxiliary.getShape()), detachAt != null, false);
          if (detachAt != null) {
            auxiliaryAtRepresentation = takeGradient(scope, lastPass.representation().leaf());
          }
        }
        if (detachAt != null) {
          // The trunk below the representation gets the weighted sum of the tasks' gradients there.
          Lowering.Representation representation = lastPass.representation();
          NDArray combined = combination.isPresent()
              ? scope.create(combination.get(), perTask.atRepresentation().get(0).getShape())
              : weightedSum(perTask.atRepresentation(), weights);
          if (auxiliaryAtRepresentation != null) {
            combined = combined.add(auxiliaryAtRepresentation);
          }
          // Nothing to do when nothing below is trained (frozen word vectors or pretrained features
          // under parameterless layers): the trunk then has no autograd history, and asking DJL
          // for it crashes the JVM.
          if (!trainedBelow(tasks.get(0)).isEmpty()) {
            JniUtils.backward((PtNDArray) representation.trunk(), (PtNDArray) combined, false, false);
          }
        }
        if (penalty != null) {
          collector.backward(penalty);
        }
        taskGradients = perTask.weightedParameterGradients(weights);
      }
      Map<String, NDArray> gradients = new LinkedHashMap<>();
      double squaredNorm = 0;
      for (String name : parameters.trainableNames()) {
        NDArray gradient = gradientHolder(name, rows).getGradient();
        gradient.attach(scope);
        NDArray fromTasks = taskGradients.get(name);
        NDArray total = fromTasks == null ? gradient : gradient.add(fromTasks);
        gradients.put(name, total);
        double squares = total.square().sum().getFloat();
        if (!Double.isFinite(squares)) {
          // Squares of finite float32 values can overflow; tell overflow from NaN/Inf in float64.
          squares = total.toType(DataType.FLOAT64, false).square().sum().getDouble();
        }
        squaredNorm += squares;
      }
      double norm = Math.sqrt(squaredNorm);
      if (!Double.isFinite(norm)) {
        gradients.keySet().forEach(name -> JniUtils.zeroGrad((PtNDArray) gradientHolder(name, rows)));
        throw new NonFiniteException(request.step(), "the gradients are not finite (norm " + norm + "; losses "
            + Arrays.toString(values) + ")");
      }
      // Global norm clipping: one factor for every gradient, so the update keeps its direction.
      float scale = clipNorm > 0 && norm > clipNorm ? (float) (clipNorm / norm) : 1f;
      if (scale != 1f) {
        gradients.replaceAll((name, gradient) -> gradient.mul(scale));
      }
      optimizer.update(parameters.arrays(), gradients, rows == null ? Map.of() : rows.byTable(), request.learningRate());
      for (String name : gradients.keySet()) {
        if (rowUpdated.contains(name)) {
          continue; // the rows' leaf goes with the step
        }
        // The next step's backward passes accumulate into zeroed gradients.
        NDArray gradient = parameters.arrays().get(name).getGradient();
        gradient.attach(scope);
        gradient.subi(gradient);
      }
      Map<String, Double> lossByTask = new LinkedHashMap<>();
      Map<String, Double> weightByTask = new LinkedHashMap<>();
      for (int i = 0; i < tasks.size(); i++) {
        lossByTask.put(tasks.get(i), values[i]);
        weightByTask.put(tasks.get(i), weights[i]);
      }
      return new StepResult(lossByTask, weightByTask, penaltyValue, Optional.ofNullable(gramian));
    }
  }

  @Override
  public Lookahead lookahead(List<SourceBatch> batches, double rate) {
    if (optimizer == null) {
      throw new IllegalStateException("this network was loaded for prediction; create one with Engine.create to measure affinity");
    }
    forgetCaughtUp(); // it moves parameters (and restores them)
    List<String> shared = parameterNames.computeIfAbsent("shared", k -> lowering.trainableNames(graph.sharedParameters()));
    if (shared.isEmpty()) {
      throw new IllegalArgumentException("the tasks share no trained parameters, so a step on one cannot change another's loss");
    }
    try (NDManager scope = manager.newSubManager()) {
      StepRows rows = rowUpdated.isEmpty() ? null : new StepRows(scope, batches, rowUpdated);
      TaskLosses current;
      PerTaskGradients perTask;
      try (GradientCollector collector = Engine.getEngine(PyTorchEngine.ENGINE).newGradientCollector()) {
        current = taskLosses(scope, batches, rows, false, null);
        perTask = perTaskGradients(scope, current.tasks(), current.losses(), GradientNeed.GRAMIAN_ON_PARAMETERS, null, rows, false);
      }
      List<String> tasks = current.tasks();
      int n = tasks.size();
      double[] before = new double[n];
      for (int i = 0; i < n; i++) {
        before[i] = current.losses().get(i).getFloat();
      }
      JniUtils.setGradMode(false);
      double[][] after = new double[n][n];
      for (int i = 0; i < n; i++) {
        Map<String, NDArray> saved = new LinkedHashMap<>();
        for (String name : shared) {
          NDArray gradient = perTask.byTask().get(i).get(name);
          if (gradient == null) {
            continue; // task i's pass does not reach this shared parameter
          }
          NDArray parameter = parameters.arrays().get(name);
          NDArray step = gradient.mul(Lowering.scalar(scope, (float) rate));
          if (rows != null && rows.leaves.containsKey(name)) {
            // A row-updated table's gradient covers the batch's rows only.
            NDIndex index = new NDIndex("{}", rows.index);
            NDArray old = parameter.get(index);
            old.attach(scope);
            saved.put(name, old);
            parameter.set(index, old.sub(step));
          } else {
            NDArray old = parameter.duplicate();
            old.attach(scope);
            saved.put(name, old);
            parameter.subi(step);
          }
        }
        // The same batches, so the same tasks in the same order; the moved tables are read whole.
        List<NDArray> moved = taskLosses(scope, batches, null, false, null).losses();
        for (int t = 0; t < n; t++) {
          after[i][t] = moved.get(t).getFloat();
        }
        for (String name : saved.keySet()) {
          NDArray parameter = parameters.arrays().get(name);
          if (rows != null && rows.leaves.containsKey(name)) {
            parameter.set(new NDIndex("{}", rows.index), saved.get(name));
          } else {
            parameter.subi(parameter).addi(saved.get(name)); // exact: x - x is 0
          }
        }
      }
      return new Lookahead(tasks, before, after, perTask.gramian());
    }
  }

  /**
   * Each task's loss on a step's batches, in batch and head order, the auxiliary losses' weighted sum
   * averaged over the batches (null if the graph has none that applies), and the last batch's pass.
   */
  private record TaskLosses(List<String> tasks, List<NDArray> losses, NDArray auxiliary, Lowering.Pass lastPass) {}

  private TaskLosses taskLosses(NDManager scope, List<SourceBatch> batches, StepRows rows, boolean training, String detachAt) {
    List<String> tasks = new ArrayList<>();
    List<NDArray> losses = new ArrayList<>();
    NDArray auxiliary = null;
    Lowering.Pass pass = null;
    // Several sources: batches of similar lengths make one pass together, so shared layers run once
    // for them (a representation Gramian, which detaches inside the pass, needs a single source anyway).
    List<List<String>> labelled = batches.stream().map(this::labelledTasks).toList();
    Map<Integer, Lowering.Pass> fused = batches.size() > 1 && detachAt == null
        ? fusedPasses(scope, batches, labelled, rows, training) : Map.of();
    for (int b = 0; b < batches.size(); b++) {
      SourceBatch batch = batches.get(b);
      pass = fused.containsKey(b) ? fused.get(b) : forward(lowering, paddingId, scope, batch.tokens(), rows, training, detachAt, null);
      List<String> batchTasks = labelled.get(b);
      for (String task : batchTasks) {
        Head head = graph.head(task);
        losses.add(loss(scope, head, pass.logits(head), batch.targets().get(task), batch.rowWeights().get(task)));
      }
      tasks.addAll(batchTasks);
      if (training && !graph.auxiliaryLosses().isEmpty()) {
        NDArray term = pass.auxiliaryLoss(batchTasks);
        if (term != null) {
          auxiliary = auxiliary == null ? term : auxiliary.add(term);
        }
      }
    }
    if (auxiliary != null) {
      auxiliary = auxiliary.div(Lowering.scalar(scope, batches.size()));
    }
    return new TaskLosses(tasks, losses, auxiliary, pass);
  }

  /** A batch's tasks in head order, less those none of whose rows in it is labelled (partial labels): they sit this step out. */
  private List<String> labelledTasks(SourceBatch batch) {
    List<String> out = new ArrayList<>();
    for (Head head : lowering.heads()) {
      float[][] targets = batch.targets().get(head.task());
      if (targets != null && Arrays.stream(targets).anyMatch(TaskData::isLabelled)) {
        out.add(head.task());
      }
    }
    return out;
  }

  /**
   * Padding positions one pass fewer is worth: batches of similar lengths share a pass as long as
   * padding them to the group's longest adds at most this many positions per pass saved. A pass
   * has a fixed cost (about 30 native calls forward, as many back) and a cost per position (the
   * encoder's work); measured on 2 cores with the CNN of bench/performance (docs/benchmarks.md),
   * fusing everything padded short texts to the longest and made an epoch 1.65x slower, a pass
   * per source was fastest at 32 rows per source, and 64 positions made 8 rows per source 11%
   * faster and 32 rows 2%.
   */
  static final double FUSED_PADDING = 64;

  /** Batch index → its pass, for the batches that share a pass with others (see {@link #lengthGroups}). */
  private Map<Integer, Lowering.Pass> fusedPasses(NDManager scope, List<SourceBatch> batches, List<List<String>> labelled,
      StepRows rows, boolean training) {
    int[] lengths = new int[batches.size()];
    int[] sizes = new int[batches.size()];
    for (int b = 0; b < batches.size(); b++) {
      lengths[b] = batches.get(b).tokens().maxLength();
      sizes[b] = batches.get(b).tokens().size();
    }
    Map<Integer, Lowering.Pass> out = new HashMap<>();
    for (int[] group : lengthGroups(lengths, sizes, fusedPadding)) {
      if (group.length > 1) {
        Lowering.Fused fused = fuse(scope, Arrays.stream(group).mapToObj(batches::get).toList(),
            Arrays.stream(group).mapToObj(labelled::get).toList(), rows, training);
        for (int i = 0; i < group.length; i++) {
          out.put(group[i], fused.batch(i));
        }
      }
    }
    return out;
  }

  /**
   * Batches grouped by length: in order of their longest row, each joins the group before it while
   * padding the group to its longest adds at most {@code padding} positions per pass saved against
   * a pass per batch (each padded to its own longest). Each group lists batch indices, shortest first.
   */
  static List<int[]> lengthGroups(int[] lengths, int[] sizes, double padding) {
    Integer[] order = new Integer[lengths.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(lengths[a], lengths[b]));
    List<int[]> groups = new ArrayList<>();
    List<Integer> group = new ArrayList<>();
    long rows = 0;
    long own = 0;
    for (int b : order) {
      // Sorted: the newcomer is the group's longest.
      long padded = (long) lengths[b] * (rows + sizes[b]) - own - (long) lengths[b] * sizes[b];
      if (!group.isEmpty() && padded > padding * group.size()) {
        groups.add(group.stream().mapToInt(Integer::intValue).toArray());
        group = new ArrayList<>();
        rows = 0;
        own = 0;
      }
      group.add(b);
      rows += sizes[b];
      own += (long) lengths[b] * sizes[b];
    }
    groups.add(group.stream().mapToInt(Integer::intValue).toArray());
    return groups;
  }

  /** One pass over the given batches' rows, batch after batch (see {@link Lowering.Fused}), each with its labelled tasks. */
  private Lowering.Fused fuse(NDManager scope, List<SourceBatch> batches, List<List<String>> labelled, StepRows rows,
      boolean training) {
    int total = batches.stream().mapToInt(b -> b.tokens().size()).sum();
    boolean features = lowering.readsFeatures();
    int[][] tokens = new int[total][];
    float[][] vectors = features ? new float[total][] : null;
    int[] sizes = new int[batches.size()];
    int next = 0;
    for (int b = 0; b < batches.size(); b++) {
      TokenBatch batch = batches.get(b).tokens();
      sizes[b] = batch.size();
      System.arraycopy(batch.rows(), 0, tokens, next, batch.size());
      if (features) {
        System.arraycopy(features(batch), 0, vectors, next, batch.size());
      }
      next += batch.size();
    }
    PassInputs all = inputs(lowering, paddingId, scope, new TokenBatch(tokens, vectors), rows);
    return lowering.new Fused(all, sizes, labelled, training, null);
  }

  private static NDArray weightedSum(List<NDArray> arrays, double[] weights) {
    NDArray sum = null;
    for (int i = 0; i < arrays.size(); i++) {
      NDArray term = arrays.get(i).mul((float) weights[i]);
      sum = sum == null ? term : sum.add(term);
    }
    return sum;
  }

  /** The representation's values and each task's gradient there, copied to the JVM as rows x width. */
  private static RepresentationGradients representationGradients(NDArray representation, List<NDArray> byTask) {
    long[] shape = representation.getShape().getShape();
    int rows = shape.length == 0 ? 1 : (int) shape[0];
    int width = rows == 0 ? 0 : (int) (representation.size() / rows);
    return new RepresentationGradients(rows, width, representation.toType(DataType.FLOAT32, false).toFloatArray(),
        byTask.stream().map(NDArray::toFloatArray).toList());
  }

  /**
   * Each task's gradients from one backward pass per task through the graph of this step's single
   * forward pass (kept between passes): on the representation leaf, or on the shared parameters,
   * plus each task's gradients on the parameters its pass reached, kept to be weighted later.
   */
  private PerTaskGradients perTaskGradients(NDManager scope, List<String> tasks, List<NDArray> losses, GradientNeed kind,
      Lowering.Representation representation, StepRows rows, boolean keepGraph) {
    List<String> shared = kind == GradientNeed.GRAMIAN_ON_PARAMETERS
        ? parameterNames.computeIfAbsent("shared", k -> lowering.trainableNames(graph.sharedParameters())) : List.of();
    List<NDArray> atRepresentation = new ArrayList<>();
    List<NDArray> vectors = new ArrayList<>();
    List<Map<String, NDArray>> byTask = new ArrayList<>();
    for (int t = 0; t < tasks.size(); t++) {
      NDArray loss = losses.get(t);
      boolean last = t == tasks.size() - 1;
      JniUtils.backward((PtNDArray) loss, (PtNDArray) scope.ones(loss.getShape()), keepGraph || !last, false);
      String task = tasks.get(t);
      Map<String, NDArray> own = takeGradients(scope, representation == null ? trainedBy(task)
          : parameterNames.computeIfAbsent("above:" + task, k -> lowering.trainableNames(graph.parametersAbove(task, sharedRepresentation))),
          rows);
      byTask.add(own);
      if (representation != null) {
        NDArray g = takeGradient(scope, representation.leaf());
        atRepresentation.add(g);
        vectors.add(g.flatten());
      } else {
        NDList parts = new NDList();
        for (String name : shared) {
          NDArray g = own.get(name);
          parts.add(g == null ? scope.zeros(new Shape(gradientHolder(name, rows).size())) : g.flatten());
        }
        vectors.add(NDArrays.concat(parts));
      }
    }
    NDArray stacked = NDArrays.stack(new NDList(vectors));
    float[] flat = stacked.matMul(stacked.transpose()).toFloatArray();
    int n = tasks.size();
    double[][] gramian = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        gramian[i][j] = flat[i * n + j];
      }
    }
    return new PerTaskGradients(gramian, atRepresentation, byTask);
  }

  private static List<SourceBatch> concat(List<SourceBatch> a, List<SourceBatch> b) {
    List<SourceBatch> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /**
   * A bilevel step's gradients: each task's training gradient (one backward pass per task through
   * the step's forward pass), then a forward pass over the meta batches and one backward pass per
   * task there, each kept per parameter it reached; their inner products over every trained parameter.
   */
  private MetaStep metaStep(NDManager scope, List<SourceBatch> metaBatches, List<String> tasks, List<NDArray> losses,
      StepRows rows, boolean keepGraph) {
    int n = tasks.size();
    List<Map<String, NDArray>> gradients = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      NDArray loss = losses.get(t);
      JniUtils.backward((PtNDArray) loss, (PtNDArray) scope.ones(loss.getShape()), keepGraph || t < n - 1, false);
      gradients.add(takeGradients(scope, trainedBy(tasks.get(t)), rows));
    }
    TaskLosses meta = taskLosses(scope, metaBatches, rows, true, null);
    double[] metaLosses = new double[n];
    int lastLabelled = -1;
    for (int t = 0; t < n; t++) {
      if (meta.tasks().contains(tasks.get(t))) {
        lastLabelled = t;
      }
    }
    for (int t = 0; t < n; t++) {
      int at = meta.tasks().indexOf(tasks.get(t));
      if (at < 0) {
        gradients.add(Map.of()); // no row of the meta batch labels this task
        continue;
      }
      NDArray loss = meta.losses().get(at);
      metaLosses[t] = loss.getFloat();
      JniUtils.backward((PtNDArray) loss, (PtNDArray) scope.ones(loss.getShape()), t < lastLabelled, false);
      gradients.add(takeGradients(scope, trainedBy(tasks.get(t)), rows));
    }
    double[][] gramian = new double[2 * n][2 * n];
    for (String name : parameters.trainableNames()) {
      NDList parts = new NDList();
      boolean any = false;
      for (Map<String, NDArray> byName : gradients) {
        NDArray g = byName.get(name);
        any |= g != null;
        parts.add(g == null ? scope.zeros(new Shape(gradientHolder(name, rows).size())) : g.flatten());
      }
      if (!any) {
        continue;
      }
      NDArray stacked = NDArrays.stack(parts);
      float[] flat = stacked.matMul(stacked.transpose()).toFloatArray();
      for (int i = 0; i < 2 * n; i++) {
        for (int j = 0; j < 2 * n; j++) {
          gramian[i][j] += flat[i * 2 * n + j];
        }
      }
    }
    return new MetaStep(new MetaGradients(metaLosses, gramian), gradients);
  }

  /** The trained parameters {@code task}'s pass reaches. */
  private List<String> trainedBy(String task) {
    return parameterNames.computeIfAbsent("all:" + task, k -> lowering.trainableNames(graph.parametersOf(task)));
  }

  /** Copies (and zeroes) the gradients a backward pass left on {@code names}, by name. */
  private Map<String, NDArray> takeGradients(NDManager scope, List<String> names, StepRows rows) {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (String name : names) {
      out.put(name, takeGradient(scope, gradientHolder(name, rows)));
    }
    return out;
  }

  /** @param byGradient the tasks' training gradients per parameter, then their meta-batch gradients */
  private record MetaStep(MetaGradients gradients, List<Map<String, NDArray>> byGradient) {
    double[][] trainingGramian() {
      int n = gradients.losses().length;
      double[][] out = new double[n][n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          out[i][j] = gradients.training(i, j);
        }
      }
      return out;
    }

    /** Σ_t w_t g_t + Σ_s v_s h_s per parameter. */
    Map<String, NDArray> weighted(double[] weights, Optional<double[]> metaWeights) {
      int n = weights.length;
      Map<String, NDArray> out = new LinkedHashMap<>();
      for (int i = 0; i < 2 * n; i++) {
        double w = i < n ? weights[i] : metaWeights.isPresent() ? metaWeights.get()[i - n] : 0;
        if (w == 0 && i >= n) {
          continue;
        }
        float factor = (float) w;
        byGradient.get(i).forEach((name, g) -> out.merge(name, g.mul(factor), NDArray::add));
      }
      return out;
    }
  }

  /** The trained parameters below the shared representation, which every task's pass reaches. */
  private List<String> trainedBelow(String task) {
    return parameterNames.computeIfAbsent("below:" + task, k -> {
      List<String> above = lowering.trainableNames(graph.parametersAbove(task, sharedRepresentation));
      return lowering.trainableNames(graph.parametersOf(task)).stream().filter(name -> !above.contains(name)).toList();
    });
  }

  /** Where a parameter's gradient collects in this step: the step's rows of a row-updated table, or the parameter. */
  private NDArray gradientHolder(String name, StepRows rows) {
    NDArray leaf = rows == null ? null : rows.leaves.get(name);
    return leaf != null ? leaf : parameters.arrays().get(name);
  }

  /**
   * The embedding rows one training step reads: the distinct token ids of all its batches (sorted),
   * and per row-updated table a copy of those rows as a gradient leaf. The tables' gradients are
   * then {@code (rows, width)} instead of {@code (vocabulary, width)}, and so is their update.
   */
  private final class StepRows {
    private final long[] ids;
    private final NDArray index;
    private final Map<String, NDArray> leaves = new LinkedHashMap<>();

    StepRows(NDManager scope, List<SourceBatch> batches, Set<String> tables) {
      BitSet seen = new BitSet(vocabularySize);
      seen.set(paddingId);
      for (SourceBatch batch : batches) {
        for (int[] row : batch.tokens().rows()) {
          for (int id : row) {
            seen.set(id);
          }
        }
      }
      long[] ids = new long[seen.cardinality()];
      int next = 0;
      for (int id = seen.nextSetBit(0); id >= 0; id = seen.nextSetBit(id + 1)) {
        slot[id] = next;
        ids[next++] = id;
      }
      index = scope.create(ids);
      this.ids = ids;
      for (String table : tables) {
        // Rows the last steps did not read first get the Adam updates they are owed.
        optimizer.catchUp(table, parameters.arrays().get(table), new Updater.Rows(ids, index));
        NDArray leaf = parameters.arrays().get(table).get(index);
        leaf.attach(scope);
        leaf.setRequiresGradient(true);
        leaves.put(table, leaf);
      }
    }

    /** The row-updated tables' leaves, and each token id's position among the step's rows. */
    PassInputs.StepTables tables() {
      return new PassInputs.StepTables(leaves, slot);
    }

    Map<String, Updater.Rows> byTable() {
      Map<String, Updater.Rows> out = new LinkedHashMap<>();
      leaves.keySet().forEach(table -> out.put(table, new Updater.Rows(ids, index)));
      return out;
    }
  }

  /** A copy of an array's gradient (in the step's scope), leaving the gradient itself at zero. */
  private static NDArray takeGradient(NDManager scope, NDArray array) {
    NDArray gradient = array.getGradient();
    gradient.attach(scope);
    NDArray copy = gradient.duplicate();
    // Zero in place through the alias: JniUtils.zeroGrad made later steps non-deterministic (tested).
    gradient.subi(gradient);
    return copy;
  }

  private record PerTaskGradients(double[][] gramian, List<NDArray> atRepresentation, List<Map<String, NDArray>> byTask) {
    /** Σ_t w_t ∇L_t for each parameter the tasks' own passes reached. */
    Map<String, NDArray> weightedParameterGradients(double[] weights) {
      Map<String, NDArray> out = new LinkedHashMap<>();
      for (int t = 0; t < byTask.size(); t++) {
        float w = (float) weights[t];
        byTask.get(t).forEach((name, g) -> out.merge(name, g.mul(w), NDArray::add));
      }
      return out;
    }
  }

  @Override
  public Map<String, float[][]> predict(TokenBatch tokens, Collection<String> tasks) {
    // Autograd is off per thread; a server's request threads start with it on, and would record a
    // graph for every prediction.
    JniUtils.setGradMode(false);
    Map<String, NDArray> values = readableParameters();
    List<Head> heads = lowering.heads().stream().filter(h -> tasks.contains(h.task())).toList();
    int width = heads.stream().mapToInt(h -> h.output().size()).sum();
    float[] logits;
    try (NDManager scope = manager.newSubManager()) {
      PassInputs inputs = inputs(lowering, paddingId, scope, tokens, null);
      // Every head's logits in one array, read back in one copy; activations are applied here.
      logits = heads.isEmpty() ? new float[0] : lowering.predictionPass(inputs, values).logitsOf(heads).toFloatArray();
    }
    Map<String, float[][]> out = new LinkedHashMap<>();
    int offset = 0;
    for (Head head : heads) {
      int size = head.output().size();
      float[][] rows = new float[tokens.size()][];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = Activations.apply(head.output().loss(), logits, i * width + offset, size);
      }
      out.put(head.task(), rows);
      offset += size;
    }
    return out;
  }

  /** A forward pass over a batch of token rows, padded to the longest with {@code paddingId}. */
  static Lowering.Pass forward(Lowering lowering, int paddingId, NDManager scope, TokenBatch batch, boolean training, String detachAt) {
    return forward(lowering, paddingId, scope, batch, null, training, detachAt, null);
  }

  /** @param values the parameter values to read (see {@link Lowering.Pass}), or null for the parameters themselves */
  private static Lowering.Pass forward(Lowering lowering, int paddingId, NDManager scope, TokenBatch batch, StepRows stepRows,
      boolean training, String detachAt, Map<String, NDArray> values) {
    return lowering.pass(inputs(lowering, paddingId, scope, batch, stepRows), training, detachAt, values);
  }

  /** A batch as a pass reads it: its token rows, or its sentence vectors when the graph starts from those. */
  private static PassInputs inputs(Lowering lowering, int paddingId, NDManager scope, TokenBatch batch, StepRows stepRows) {
    return lowering.readsFeatures()
        ? new PassInputs(scope, null, features(batch), paddingId, null)
        : new PassInputs(scope, batch.rows(), null, paddingId, stepRows == null ? null : stepRows.tables());
  }

  private static float[][] features(TokenBatch batch) {
    if (batch.features() == null) {
      throw new IllegalArgumentException("this model starts from a pretrained sentence encoder: each batch needs the texts'"
          + " vectors (TokenBatch.features), which MultiTaskModel and the trainer compute with model.pretrained-encoder");
    }
    return batch.features();
  }

  /**
   * Mean loss of a head over the batch's labelled rows (rows without a label are masked out), each
   * row's loss scaled by its weight when {@code rowWeights} is not null.
   */
  static NDArray loss(NDManager scope, Head head, NDArray logits, float[][] targets, float[] rowWeights) {
    int rows = targets.length;
    int width = head.output().size();
    float[] dense = LossInputs.denseTargets(head, targets);
    float[] mask = LossInputs.labelledRows(targets);
    int labelled = 0;
    for (float m : mask) {
      labelled += (int) m;
    }
    LossKind kind = head.output().loss();
    NDArray y = scope.create(dense, new Shape(rows, width));
    NDArray perRow = switch (kind) {
      case SOFTMAX_CROSS_ENTROPY -> logits.logSoftmax(1).mul(y).sum(new int[] {1}).neg();
      // Numerically stable BCE with logits: max(x,0) - x*y + log(1 + exp(-|x|)).
      case SIGMOID_BINARY_CROSS_ENTROPY -> logits.maximum(Lowering.scalar(scope, 0f)).sub(logits.mul(y))
          .add(logits.abs().neg().exp().add(Lowering.scalar(scope, 1f)).log()).mean(new int[] {1});
      case MEAN_SQUARED_ERROR -> logits.sub(y).square().mean(new int[] {1});
      case HUBER -> {
        NDArray abs = logits.sub(y).abs();
        NDArray quadratic = abs.minimum(Lowering.scalar(scope, 1f));
        yield quadratic.square().mul(Lowering.scalar(scope, 0.5f)).add(abs.sub(quadratic)).mean(new int[] {1});
      }
    };
    if (labelled == rows && rowWeights == null) {
      return perRow.mean();
    }
    return perRow.mul(scope.create(LossInputs.weighted(mask, rowWeights), new Shape(rows))).sum().div(Lowering.scalar(scope, labelled));
  }

  /**
   * The parameters as dense updates would have them: row-updated tables caught up, as copies kept
   * until the next step changes the parameters. Predicting and saving read these, so neither
   * changes how training goes on (nor do evaluations, checkpoints or model saves in between).
   */
  private synchronized Map<String, NDArray> readableParameters() {
    if (optimizer != null && !optimizer.average().isEmpty()) {
      // The moving average stands in for every parameter it keeps (row-updated tables included).
      Map<String, NDArray> values = new LinkedHashMap<>(parameters.arrays());
      values.putAll(optimizer.average());
      return values;
    }
    if (rowUpdated.isEmpty()) {
      return parameters.arrays();
    }
    if (caughtUp == null) {
      Map<String, NDArray> values = new LinkedHashMap<>(parameters.arrays());
      rowUpdated.forEach(table -> values.put(table, optimizer.caughtUp(table, parameters.arrays().get(table))));
      caughtUp = values;
    }
    return caughtUp;
  }

  /** Drops the caught-up copies and what predictions derived from the parameters: they are about to change. */
  private synchronized void forgetCaughtUp() {
    lowering.forgetDerived();
    if (caughtUp != null) {
      rowUpdated.forEach(table -> caughtUp.get(table).close());
      caughtUp = null;
    }
  }

  @Override
  public void save(Path directory) throws IOException {
    parameters.save(directory, readableParameters());
  }

  @Override
  public void saveCheckpoint(Path directory) throws IOException {
    // As they are, with what rows are owed: a resumed run continues exactly.
    parameters.save(directory);
    optimizer.save(directory);
  }

  @Override
  public long parameterCount() {
    return parameters.layout().trainableCount();
  }

  @Override
  public void close() {
    manager.close();
  }
}
