package dev.mtl.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.mtl.core.engine.ParameterFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The network's trainable arrays by name (e.g. {@code shared.encoder.conv3.weight}), created in a
 * fixed order and initialised from a seeded Java generator, so the same seed gives the same start
 * on any engine; or, for a saved model, created straight from the saved values.
 */
final class ParameterSet {
  static final String FILE = "parameters.bin";

  private final NDManager manager;
  private final SplittableRandom random;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();
  private final Path savedFile;
  private final Map<String, ParameterFile.Tensor> saved;

  /**
   * Fresh parameters from a seeded generator. With a null {@code manager} no arrays are made: the
   * names, shapes and initial values are only recorded ({@link #initialValues()}), for engines
   * that hold parameters elsewhere (TensorFlow) yet start where PyTorch does for the same seed.
   */
  ParameterSet(NDManager manager, long seed) {
    this.manager = manager;
    this.random = new SplittableRandom(seed);
    this.savedFile = null;
    this.saved = null;
  }

  /** Parameters read from {@code directory}; call {@link #checkAllLoaded()} once all are created. */
  ParameterSet(NDManager manager, Path directory) throws IOException {
    this.manager = manager;
    this.random = null;
    this.savedFile = directory.resolve(FILE);
    this.saved = ParameterFile.read(savedFile);
  }

  /** Whether the parameters created next are trained (false for frozen layers). */
  private boolean trainable = true;

  void trainable(boolean value) {
    trainable = value;
  }

  /** Uniform in [-limit, limit]. */
  NDArray uniform(String name, double limit, long... shape) {
    return add(name, uniformValues(limit, shape), shape);
  }

  /** An embedding table, uniform in [-limit, limit], with the padding row zero. */
  NDArray embedding(String name, double limit, int rows, int width, int paddingRow) {
    float[] values = uniformValues(limit, rows, width);
    Arrays.fill(values, paddingRow * width, (paddingRow + 1) * width, 0f);
    return add(name, values, rows, width);
  }

  /** Given values, e.g. a cross-stitch matrix's initial mixing weights. */
  NDArray values(String name, float[] values, long... shape) {
    return add(name, values, shape);
  }

  /** Names of the parameters that are trained. */
  Set<String> trainableNames() {
    return trainableNames;
  }

  private final Set<String> trainableNames = new LinkedHashSet<>();

  /** Names, shapes and starting values, in creation order (recorded when there is no manager). */
  Map<String, ParameterFile.Tensor> initialValues() {
    return recorded;
  }

  private final Map<String, ParameterFile.Tensor> recorded = new LinkedHashMap<>();

  /** Every parameter's name, in creation order. */
  Set<String> names() {
    return manager == null ? recorded.keySet() : arrays.keySet();
  }

  private float[] uniformValues(double limit, long... shape) {
    float[] values = new float[(int) new Shape(shape).size()];
    if (random != null) {
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) ((random.nextDouble() * 2 - 1) * limit);
      }
    }
    return values;
  }

  /** Glorot/Xavier uniform for a weight with the given fan-in and fan-out. */
  NDArray xavier(String name, long fanIn, long fanOut, long... shape) {
    return uniform(name, Math.sqrt(6.0 / (fanIn + fanOut)), shape);
  }

  NDArray zeros(String name, long... shape) {
    return add(name, new float[(int) new Shape(shape).size()], shape);
  }

  private NDArray add(String name, float[] initial, long... shape) throws UncheckedIOException {
    if (names().contains(name)) {
      throw new IllegalStateException("parameter '" + name + "' created twice");
    }
    float[] values = saved == null ? initial : savedValues(name, shape);
    if (manager == null) {
      recorded.put(name, new ParameterFile.Tensor(shape, values));
      if (trainable) {
        trainableNames.add(name);
      }
      return null;
    }
    NDArray array = manager.create(values, new Shape(shape));
    array.setName(name);
    if (trainable) {
      array.setRequiresGradient(true);
      trainableNames.add(name);
    }
    arrays.put(name, array);
    return array;
  }

  Map<String, NDArray> arrays() {
    return arrays;
  }

  /** Trainable scalars. */
  long count() {
    return trainableNames.stream().mapToLong(n -> arrays.get(n).getShape().size()).sum();
  }

  void save(Path directory) throws IOException {
    save(directory, arrays);
  }

  /** Saves {@code values} (every parameter by name, e.g. with caught-up copies of some) in this set's format. */
  void save(Path directory, Map<String, NDArray> values) throws IOException {
    Map<String, ParameterFile.Tensor> tensors = new LinkedHashMap<>();
    arrays.keySet().forEach(name -> {
      NDArray array = values.get(name);
      tensors.put(name, new ParameterFile.Tensor(array.getShape().getShape(), array.toFloatArray()));
    });
    ParameterFile.write(directory.resolve(FILE), tensors);
  }

  private float[] savedValues(String name, long... shape) {
    ParameterFile.Tensor value = saved.get(name);
    if (value == null) {
      throw new UncheckedIOException(new IOException(savedFile + " lacks parameter " + name + " (it holds " + saved.keySet()
          + "). The model directory does not match its manifest; retrain or restore it."));
    }
    if (!Arrays.equals(value.shape(), shape)) {
      throw new UncheckedIOException(new IOException(savedFile + ": parameter " + name + " has shape "
          + Arrays.toString(value.shape()) + " but the model needs " + Arrays.toString(shape)
          + ". The model directory does not match its manifest; retrain or restore it."));
    }
    return value.values();
  }

  /** Fails if the file held parameters the model does not have. */
  void checkAllLoaded() throws IOException {
    if (saved != null && !saved.keySet().equals(arrays.keySet())) {
      throw new IOException(savedFile + " holds parameters " + saved.keySet() + " but the model has " + arrays.keySet()
          + ". The model directory does not match its manifest; retrain or restore it.");
    }
  }
}
