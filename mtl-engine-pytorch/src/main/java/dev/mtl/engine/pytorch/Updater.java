package dev.mtl.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Adam (Kingma and Ba, 2015), AdamW or plain SGD over named parameters, with weight decay, through
 * PyTorch's fused update kernels. mtl keeps Adam's moments itself (DJL's optimizers keep theirs
 * private) so a checkpoint can save and restore them, and a resumed run continues exactly.
 */
final class Updater {
  static final String ROWS_FILE = "optimizer-rows.bin";
  private static final int ROWS_FORMAT = 1;
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;

  private final NDManager manager;
  private final OptimizerSettings settings;
  /** Factors on the learning rate of some parameters (layer-wise decay); 1 for the others. */
  private final Map<String, Double> rateFactors;
  private final Map<String, NDArray> mean = new LinkedHashMap<>();
  private final Map<String, NDArray> variance = new LinkedHashMap<>();
  /** The moving average of each trained parameter (see {@link OptimizerSettings#averageDecay()}); empty when off. */
  private final Map<String, NDArray> average = new LinkedHashMap<>();
  private long updates;
  /** See {@link #catchUp}: the update each row of a row-updated table last got. */
  private final Map<String, long[]> lastUpdate = new HashMap<>();
  /**
   * Bias-corrected rates of updates {@code ratesStart, ratesStart + 1, ...}, for catching rows up
   * (8 bytes a step, kept for the whole run: a row unread since the start is owed from the start).
   */
  private double[] correctedRates = new double[1024];
  private int rateCount;
  private long ratesStart;
  private static final int CATCH_UP_HORIZON = 300;

  Updater(NDManager manager, OptimizerSettings settings, Map<String, Double> rateFactors) {
    if (!OptimizerSettings.KINDS.contains(settings.kind())) {
      throw new IllegalArgumentException("unknown optimizer '" + settings.kind() + "'; known: " + OptimizerSettings.KINDS);
    }
    this.manager = manager;
    this.settings = settings;
    this.rateFactors = Map.copyOf(rateFactors);
  }

  /** Starts the moving average of {@code names} at their current values (when the settings keep one). */
  void startAverage(Map<String, NDArray> parameters, Iterable<String> names) {
    if (!settings.averages()) {
      return;
    }
    average.values().forEach(NDArray::close);
    average.clear();
    for (String name : names) {
      NDArray copy = parameters.get(name).duplicate();
      copy.attach(manager);
      average.put(name, copy);
    }
  }

  /** The moving average of each trained parameter, by name; empty when the settings keep none. */
  Map<String, NDArray> average() {
    return average;
  }

  /**
   * Moves the average towards the parameters after an update: {@code a ← a − (1 − d)(a − θ)}.
   * Row-updated tables are averaged as they stand: rows a step did not read still owe their
   * momentum steps, which reach the average when they are caught up.
   */
  private void updateAverage(Map<String, NDArray> parameters) {
    if (average.isEmpty()) {
      return;
    }
    float keep = (float) (1 - settings.averageDecayAt(updates));
    // Outside autograd: read from parameters that require gradients, the average would join the graph.
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager scope = manager.newSubManager()) {
      average.forEach((name, a) -> {
        NDArray difference = a.sub(parameters.get(name));
        difference.attach(scope);
        a.subi(difference.muli(keep));
      });
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  /** The rows of an embedding table that one step reads: their ids (sorted) and the same ids as an index array. */
  record Rows(long[] ids, NDArray index) {}

  /**
   * One update of every parameter in {@code gradients}, with PyTorch's fused kernels. A parameter
   * in {@code rows} is an embedding table whose gradient holds only those rows: they and their
   * moments are updated, and the other rows' Adam updates wait (see {@link #catchUp}).
   */
  void update(Map<String, NDArray> parameters, Map<String, NDArray> gradients, Map<String, Rows> rows, double rate) {
    rows.keySet().forEach(name -> lastUpdate(name, parameters.get(name)));
    updates++;
    // Adam's bias correction folded into the rate, as DJL's Adam does.
    float corrected = (float) (rate * Math.sqrt(1 - Math.pow(BETA2, updates)) / (1 - Math.pow(BETA1, updates)));
    if (!rows.isEmpty() && isAdam()) {
      if (rateCount == 0) {
        ratesStart = updates;
      }
      if (rateCount == correctedRates.length) {
        correctedRates = Arrays.copyOf(correctedRates, 2 * rateCount);
      }
      correctedRates[rateCount++] = corrected;
    }
    gradients.forEach((name, gradient) -> {
      NDArray whole = parameters.get(name);
      Rows selectedRows = rows.get(name);
      NDIndex selected = selectedRows == null ? null : new NDIndex("{}", selectedRows.index());
      // Row updates work on copies of the rows and write them back.
      NDArray p = selected == null ? whole : whole.get(selected);
      double factor = rateFactors.getOrDefault(name, 1.0);
      float decay = (float) settings.weightDecayOf(whole.getShape().getShape());
      if (!isAdam()) {
        JniUtils.sgdUpdate((PtNDArray) p, (PtNDArray) gradient, null, (float) (rate * factor), decay, 1f, -1f, 0f);
      } else {
        NDArray m = mean.computeIfAbsent(name, k -> whole.zerosLike());
        NDArray v = variance.computeIfAbsent(name, k -> whole.zerosLike());
        NDArray mRows = selected == null ? m : m.get(selected);
        NDArray vRows = selected == null ? v : v.get(selected);
        JniUtils.adamUpdate((PtNDArray) p, (PtNDArray) gradient, (PtNDArray) mRows, (PtNDArray) vRows, (float) (rate * factor),
            (float) (corrected * factor), decay, 1f, -1f, BETA1, BETA2, EPSILON, settings.decoupledDecay());
        if (selected != null) {
          m.set(selected, mRows);
          v.set(selected, vRows);
          mRows.close();
          vRows.close();
          long[] last = lastUpdate(name, whole);
          for (long id : selectedRows.ids()) {
            last[(int) id] = updates;
          }
        }
      }
      if (selected != null) {
        whole.set(selected, p);
        p.close();
      }
    });
    updateAverage(parameters);
  }

  private boolean isAdam() {
    return settings.adaptive();
  }

  /** Per row of a row-updated table, the update count at which the row last got its Adam update. */
  private long[] lastUpdate(String name, NDArray table) {
    return lastUpdate.computeIfAbsent(name, k -> {
      long[] last = new long[(int) table.getShape().get(0)];
      Arrays.fill(last, updates);
      return last;
    });
  }

  /**
   * Brings {@code rows} of a row-updated table to where dense Adam would have them now. A row a
   * step did not read had a zero gradient there, so dense Adam only decayed its moments (m·β1,
   * v·β2) and moved it by its momentum: after k such steps since update a,
   * {@code θ -= m_a / (√v_a + ε) · Σ_j c_{a+j} (β1/√β2)^j} with c the bias-corrected rates,
   * {@code m = β1^k m_a}, {@code v = β2^k v_a}. Those k updates are applied here in one go, so
   * sparse updates give dense Adam's parameters (up to where ε sits in the denominator). SGD without
   * momentum leaves such rows alone, so it has nothing to catch up.
   */
  void catchUp(String name, NDArray table, Rows rows) {
    NDArray m = mean.get(name);
    if (!isAdam() || m == null) {
      return; // no update yet: nothing is pending
    }
    long[] last = lastUpdate(name, table);
    Owed owed = owed(last, rows.ids());
    if (owed == null) {
      return;
    }
    for (long id : rows.ids()) {
      last[(int) id] = updates;
    }
    NDArray v = variance.get(name);
    NDIndex selected = new NDIndex("{}", rows.index());
    try (NDManager scope = manager.newSubManager()) {
      NDArray p = table.get(selected);
      NDArray mRows = m.get(selected);
      NDArray vRows = v.get(selected);
      for (NDArray copy : new NDArray[] {p, mRows, vRows}) {
        copy.attach(scope);
      }
      Shape column = new Shape(owed.step().length, 1);
      // Arrays made from scope-owned first operands stay in the scope, so nothing outlives it.
      NDArray root = vRows.sqrt();
      p.subi(scope.create(owed.step(), column).mul(mRows).div(root.add(EPSILON)));
      mRows.muli(scope.create(owed.meanScale(), column));
      vRows.muli(scope.create(owed.varianceScale(), column));
      table.set(selected, p);
      m.set(selected, mRows);
      v.set(selected, vRows);
    }
  }

  /**
   * A copy of a row-updated table with every row caught up (see {@link #catchUp}), in the
   * network's memory, for predicting and saving; the table and the optimizer's state stay as they
   * are, so reading the model never changes how training goes on.
   */
  NDArray caughtUp(String name, NDArray table) {
    NDArray copy = table.duplicate();
    copy.attach(manager);
    NDArray m = mean.get(name);
    Owed owed = !isAdam() || m == null ? null : owed(lastUpdate(name, table), null);
    if (owed != null) {
      try (NDManager scope = manager.newSubManager()) {
        NDArray root = variance.get(name).sqrt();
        root.attach(scope);
        NDArray step = scope.create(owed.step(), new Shape(owed.step().length, 1)).mul(m).div(root.add(EPSILON));
        copy.subi(step);
      }
    }
    return copy;
  }

  /** Per row: the parameter step and moment scales of the updates it missed. */
  private record Owed(float[] step, float[] meanScale, float[] varianceScale) {}

  /** What rows {@code ids} (null: every row) are owed since their last update, or null when none is owed anything. */
  private Owed owed(long[] last, long[] ids) {
    int count = ids == null ? last.length : ids.length;
    float[] step = new float[count];
    float[] meanScale = new float[count];
    float[] varianceScale = new float[count];
    boolean pending = false;
    double q = BETA1 / Math.sqrt(BETA2);
    for (int i = 0; i < count; i++) {
      int id = ids == null ? i : (int) ids[i];
      long missed = updates - last[id];
      meanScale[i] = 1f;
      varianceScale[i] = 1f;
      if (missed > 0) {
        pending = true;
        double sum = 0;
        double power = 1;
        // (β1/√β2)^j is below 1e-13 after 300 steps: later terms cannot change a float.
        for (long j = 1; j <= Math.min(missed, CATCH_UP_HORIZON); j++) {
          power *= q;
          sum += correctedRates[(int) (last[id] + j - ratesStart)] * power;
        }
        step[i] = (float) sum;
        meanScale[i] = (float) Math.pow(BETA1, missed);
        varianceScale[i] = (float) Math.pow(BETA2, missed);
      }
    }
    return pending ? new Owed(step, meanScale, varianceScale) : null;
  }

  void save(Path directory) throws IOException {
    Map<String, ParameterFile.Tensor> tensors = new LinkedHashMap<>();
    mean.forEach((name, m) -> tensors.put("mean/" + name, new ParameterFile.Tensor(m.getShape().getShape(), m.toFloatArray())));
    variance.forEach((name, v) -> tensors.put("variance/" + name, new ParameterFile.Tensor(v.getShape().getShape(), v.toFloatArray())));
    average.forEach((name, a) -> tensors.put("average/" + name, new ParameterFile.Tensor(a.getShape().getShape(), a.toFloatArray())));
    tensors.put("updates", new ParameterFile.Tensor(new long[] {2}, new float[] {(float) (updates >>> 24), (float) (updates & 0xFFFFFF)}));
    ParameterFile.write(directory.resolve(ParameterLayout.OPTIMIZER_FILE), tensors);
    if (!lastUpdate.isEmpty()) {
      saveRowState(directory.resolve(ROWS_FILE));
    }
  }

  /**
   * What row-updated tables are still owed (each row's last update and the rates since): a
   * checkpoint keeps the tables as they are, not caught up, so a resumed run goes on exactly as
   * the uninterrupted one.
   */
  private void saveRowState(Path file) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
      out.writeInt(ROWS_FORMAT);
      out.writeLong(ratesStart);
      out.writeInt(rateCount);
      for (int i = 0; i < rateCount; i++) {
        out.writeDouble(correctedRates[i]);
      }
      out.writeInt(lastUpdate.size());
      for (Map.Entry<String, long[]> table : new TreeMap<>(lastUpdate).entrySet()) {
        out.writeUTF(table.getKey());
        out.writeInt(table.getValue().length);
        for (long last : table.getValue()) {
          out.writeLong(last);
        }
      }
    }
  }

  private void loadRowState(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != ROWS_FORMAT) {
        throw new IOException(file + " is not a row-state file this mtl can read; the checkpoint cannot be resumed");
      }
      ratesStart = in.readLong();
      rateCount = in.readInt();
      correctedRates = new double[Math.max(1024, rateCount)];
      for (int i = 0; i < rateCount; i++) {
        correctedRates[i] = in.readDouble();
      }
      int tables = in.readInt();
      for (int t = 0; t < tables; t++) {
        String name = in.readUTF();
        long[] last = new long[in.readInt()];
        for (int i = 0; i < last.length; i++) {
          last[i] = in.readLong();
        }
        lastUpdate.put(name, last);
      }
    } catch (EOFException e) {
      throw new IOException(file + " is truncated; the checkpoint cannot be resumed", e);
    }
  }

  void load(Path directory) throws IOException {
    Path file = directory.resolve(ParameterLayout.OPTIMIZER_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: the checkpoint holds no optimizer state; it cannot be resumed");
    }
    for (Map.Entry<String, ParameterFile.Tensor> e : ParameterFile.read(file).entrySet()) {
      String name = e.getKey();
      ParameterFile.Tensor tensor = e.getValue();
      if (name.equals("updates")) {
        updates = ((long) tensor.values()[0] << 24) | (long) tensor.values()[1];
        continue;
      }
      String kind = name.substring(0, Math.max(0, name.indexOf('/')));
      Map<String, NDArray> state = switch (kind) {
        case "mean" -> mean;
        case "variance" -> variance;
        case "average" -> average;
        default -> throw new IOException(file + " holds optimizer state '" + name + "' this mtl does not know; the checkpoint was"
            + " written by another version and cannot be resumed");
      };
      // Resumed with ema-decay off, a checkpoint's average is not needed; without one in the checkpoint
      // (written with it off), the average starts from the resumed parameters.
      if (kind.equals("average") && !settings.averages()) {
        continue;
      }
      NDArray old = state.put(name.substring(name.indexOf('/') + 1), manager.create(tensor.values(), new Shape(tensor.shape())));
      if (old != null) {
        old.close();
      }
    }
    if (Files.isRegularFile(directory.resolve(ROWS_FILE))) {
      loadRowState(directory.resolve(ROWS_FILE));
    }
  }
}
