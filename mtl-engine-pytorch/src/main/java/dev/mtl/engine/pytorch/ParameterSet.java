package dev.mtl.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.engine.ParameterLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The network's parameters as PyTorch arrays, one per name of its {@link ParameterLayout}, made
 * from given values (the layout's seeded starting values, or saved ones).
 */
final class ParameterSet {
  private final ParameterLayout layout;
  private final Set<String> trainable;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();

  ParameterSet(NDManager manager, ParameterLayout layout, Map<String, ParameterFile.Tensor> values) {
    this.layout = layout;
    this.trainable = Collections.unmodifiableSet(layout.trainableNames());
    values.forEach((name, tensor) -> {
      NDArray array = manager.create(tensor.values(), new Shape(tensor.shape()));
      array.setName(name);
      array.setRequiresGradient(trainable.contains(name));
      arrays.put(name, array);
    });
  }

  /** Fresh parameters for {@code spec}, from the layout's generator seeded with {@code seed} and the spec's start values. */
  static ParameterSet initial(NDManager manager, NetworkSpec spec, long seed) {
    ParameterLayout layout = ParameterLayout.of(spec.graph(), spec.vocabularySize(), spec.paddingId());
    return new ParameterSet(manager, layout, layout.initialValues(seed, spec.startValues()));
  }

  ParameterLayout layout() {
    return layout;
  }

  /** Every parameter by name, in the layout's order. */
  Map<String, NDArray> arrays() {
    return arrays;
  }

  /** Names of the parameters that are trained (not frozen). */
  Set<String> trainableNames() {
    return trainable;
  }

  void save(Path directory) throws IOException {
    save(directory, arrays);
  }

  /** Saves {@code values} (every parameter by name, e.g. with caught-up copies of some) in the engine-neutral file. */
  void save(Path directory, Map<String, NDArray> values) throws IOException {
    Map<String, ParameterFile.Tensor> tensors = new LinkedHashMap<>();
    arrays.keySet().forEach(name -> {
      NDArray array = values.get(name);
      tensors.put(name, new ParameterFile.Tensor(array.getShape().getShape(), array.toFloatArray()));
    });
    ParameterFile.write(directory.resolve(ParameterLayout.FILE), tensors);
  }
}
