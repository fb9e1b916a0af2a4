package dev.mtl.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The network's trainable arrays by name (e.g. {@code shared.encoder.conv3.weight}), created in a
 * fixed order and initialised from a seeded Java generator, so the same seed gives the same start
 * on any engine.
 */
final class ParameterSet {
  static final String FILE = "parameters.ndlist";

  private final NDManager manager;
  private final SplittableRandom random;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();

  ParameterSet(NDManager manager, long seed) {
    this.manager = manager;
    this.random = new SplittableRandom(seed);
  }

  /** Uniform in [-limit, limit]. */
  NDArray uniform(String name, double limit, long... shape) {
    float[] values = new float[(int) new Shape(shape).size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) ((random.nextDouble() * 2 - 1) * limit);
    }
    return add(name, values, shape);
  }

  /** Glorot/Xavier uniform for a weight with the given fan-in and fan-out. */
  NDArray xavier(String name, long fanIn, long fanOut, long... shape) {
    return uniform(name, Math.sqrt(6.0 / (fanIn + fanOut)), shape);
  }

  NDArray zeros(String name, long... shape) {
    return add(name, new float[(int) new Shape(shape).size()], shape);
  }

  private NDArray add(String name, float[] values, long... shape) {
    if (arrays.containsKey(name)) {
      throw new IllegalStateException("parameter '" + name + "' created twice");
    }
    NDArray array = manager.create(values, new Shape(shape));
    array.setName(name);
    array.setRequiresGradient(true);
    arrays.put(name, array);
    return array;
  }

  Map<String, NDArray> arrays() {
    return arrays;
  }

  long count() {
    return arrays.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  void save(Path directory) throws IOException {
    NDList list = new NDList();
    arrays.values().forEach(list::add);
    try (OutputStream out = Files.newOutputStream(directory.resolve(FILE))) {
      list.encode(out);
    }
  }

  /** Replaces every value with the saved one; names and shapes must match exactly. */
  void load(Path directory) throws IOException {
    Path file = directory.resolve(FILE);
    NDList saved;
    try (InputStream in = Files.newInputStream(file)) {
      saved = NDList.decode(manager, in);
    }
    Map<String, NDArray> byName = new LinkedHashMap<>();
    for (NDArray a : saved) {
      byName.put(a.getName(), a);
    }
    if (!byName.keySet().equals(arrays.keySet())) {
      throw new IOException(file + " holds parameters " + byName.keySet() + " but the model described by its manifest has "
          + arrays.keySet() + ". The model directory is inconsistent; retrain or restore it.");
    }
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      NDArray value = byName.get(e.getKey());
      if (!value.getShape().equals(e.getValue().getShape())) {
        throw new IOException(file + ": parameter " + e.getKey() + " has shape " + value.getShape() + " but the model needs "
            + e.getValue().getShape() + ". The model directory is inconsistent; retrain or restore it.");
      }
      e.getValue().set(value.toFloatArray());
    }
    saved.close();
  }
}
