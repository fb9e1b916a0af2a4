package dev.mtl.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.ParameterFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam (Kingma and Ba, 2015) or plain SGD over named parameters, with L2 weight decay, through
 * PyTorch's fused update kernels. mtl keeps Adam's moments itself (DJL's optimizers keep theirs
 * private) so a checkpoint can save and restore them, and a resumed run continues exactly.
 */
final class Updater {
  static final String FILE = "optimizer.bin";
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;

  private final NDManager manager;
  private final OptimizerSettings settings;
  private final Map<String, NDArray> mean = new LinkedHashMap<>();
  private final Map<String, NDArray> variance = new LinkedHashMap<>();
  private long updates;

  Updater(NDManager manager, OptimizerSettings settings) {
    if (!OptimizerSettings.KINDS.contains(settings.kind())) {
      throw new IllegalArgumentException("unknown optimizer '" + settings.kind() + "'; known: " + OptimizerSettings.KINDS);
    }
    this.manager = manager;
    this.settings = settings;
  }

  /** One update of every parameter in {@code gradients}, with PyTorch's fused kernels. */
  void update(Map<String, NDArray> parameters, Map<String, NDArray> gradients, double rate) {
    updates++;
    float decay = (float) settings.weightDecay();
    // Adam's bias correction folded into the rate, as DJL's Adam does.
    float corrected = (float) (rate * Math.sqrt(1 - Math.pow(BETA2, updates)) / (1 - Math.pow(BETA1, updates)));
    gradients.forEach((name, gradient) -> {
      PtNDArray p = (PtNDArray) parameters.get(name);
      if (settings.kind().equals("sgd")) {
        JniUtils.sgdUpdate(p, (PtNDArray) gradient, null, (float) rate, decay, 1f, -1f, 0f);
        return;
      }
      NDArray m = mean.computeIfAbsent(name, k -> p.zerosLike());
      NDArray v = variance.computeIfAbsent(name, k -> p.zerosLike());
      JniUtils.adamUpdate(p, (PtNDArray) gradient, (PtNDArray) m, (PtNDArray) v, (float) rate, corrected, decay, 1f, -1f,
          BETA1, BETA2, EPSILON, false);
    });
  }

  void save(Path directory) throws IOException {
    Map<String, ParameterFile.Tensor> tensors = new LinkedHashMap<>();
    mean.forEach((name, m) -> tensors.put("mean/" + name, new ParameterFile.Tensor(m.getShape().getShape(), m.toFloatArray())));
    variance.forEach((name, v) -> tensors.put("variance/" + name, new ParameterFile.Tensor(v.getShape().getShape(), v.toFloatArray())));
    tensors.put("updates", new ParameterFile.Tensor(new long[] {2}, new float[] {(float) (updates >>> 24), (float) (updates & 0xFFFFFF)}));
    ParameterFile.write(directory.resolve(FILE), tensors);
  }

  void load(Path directory) throws IOException {
    Path file = directory.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing: the checkpoint holds no optimizer state; it cannot be resumed");
    }
    ParameterFile.read(file).forEach((name, tensor) -> {
      if (name.equals("updates")) {
        updates = ((long) tensor.values()[0] << 24) | (long) tensor.values()[1];
      } else {
        NDArray array = manager.create(tensor.values(), new ai.djl.ndarray.types.Shape(tensor.shape()));
        (name.startsWith("mean/") ? mean : variance).put(name.substring(name.indexOf('/') + 1), array);
      }
    });
  }
}
