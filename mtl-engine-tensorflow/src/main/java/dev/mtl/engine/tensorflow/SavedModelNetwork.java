package dev.mtl.engine.tensorflow;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TokenBatch;
import dev.mtl.core.engine.TrainStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A TensorFlow SavedModel served by DJL's TensorFlow engine: token ids in, one score matrix per
 * task out. Serves the models mtl trains on TensorFlow and multi-task SavedModels made elsewhere,
 * whose signature names are mapped to tasks by {@link SavedModelSignature}. Predicts only.
 */
final class SavedModelNetwork implements Network {
  private final Model model;
  private final SavedModelSignature signature;
  private final int paddingId;
  private final Map<String, Integer> widths;

  /**
   * @param widths each task's number of scores, to check the model's outputs against
   */
  SavedModelNetwork(Path directory, SavedModelSignature signature, int paddingId, Map<String, Integer> widths, int threads)
      throws IOException {
    if (!Files.isRegularFile(directory.resolve("saved_model.pb"))) {
      throw new IOException(directory + " holds no saved_model.pb: it is not a TensorFlow SavedModel. Point the manifest's "
          + "'saved-model' at the folder that TensorFlow's export wrote.");
    }
    this.signature = signature;
    this.paddingId = paddingId;
    this.widths = Map.copyOf(widths);
    Model loaded = Model.newInstance("mtl", TfEngine.DJL_ENGINE);
    try {
      loaded.load(directory, null, Map.of("SignatureDefKey", signature.key(), "Tags", "serve",
          "ConfigProto", Base64.getEncoder().encodeToString(TfNetwork.sessionConfig(threads).toByteArray())));
    } catch (MalformedModelException | RuntimeException e) {
      loaded.close();
      throw new IOException("DJL's TensorFlow engine cannot load the SavedModel in " + directory + ": " + e.getMessage(), e);
    }
    this.model = loaded;
  }

  @Override
  public Map<String, float[][]> predict(TokenBatch tokens, Collection<String> tasks) {
    Map<String, float[][]> out = new LinkedHashMap<>();
    try (NDManager scope = model.getNDManager().newSubManager()) {
      int rows = tokens.size();
      NDArray input = scope.create(TfNetwork.paddedIds(tokens, paddingId), new Shape(rows, TfNetwork.paddedLength(tokens)));
      if (signature.intInput()) {
        input = input.toType(DataType.INT32, false);
      }
      input.setName(signature.input());
      NDList result = model.getBlock().forward(new ParameterStore(scope, false), new NDList(input), false);
      for (Map.Entry<String, String> e : signature.outputs().entrySet()) {
        if (!tasks.contains(e.getKey())) {
          continue;
        }
        NDArray scores = result.get(e.getValue());
        if (scores == null) {
          throw new IllegalStateException("the SavedModel has no output '" + e.getValue() + "' for task '" + e.getKey()
              + "'; its outputs are " + result.stream().map(NDArray::getName).toList());
        }
        Shape shape = scores.getShape();
        int width = widths.get(e.getKey());
        if (shape.dimension() != 2 || shape.get(0) != rows || shape.get(1) != width) {
          throw new IllegalStateException("the SavedModel's output '" + e.getValue() + "' has shape " + shape + " but task '"
              + e.getKey() + "' needs (" + rows + ", " + width + "): one score per label. Check the manifest's labels for it.");
        }
        float[] flat = scores.toType(DataType.FLOAT32, false).toFloatArray();
        if (signature.logits()) {
          flat = activate(flat, width, signature.multiLabel().contains(e.getKey()));
        }
        float[][] matrix = new float[rows][width];
        for (int i = 0; i < rows; i++) {
          System.arraycopy(flat, i * width, matrix[i], 0, width);
        }
        out.put(e.getKey(), matrix);
      }
    }
    return out;
  }

  /** Softmax per row, or a sigmoid per score for multi-label tasks. */
  private static float[] activate(float[] logits, int width, boolean sigmoid) {
    float[] out = new float[logits.length];
    for (int row = 0; row < logits.length / width; row++) {
      int from = row * width;
      if (sigmoid) {
        for (int i = from; i < from + width; i++) {
          out[i] = (float) (1 / (1 + Math.exp(-logits[i])));
        }
        continue;
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int i = from; i < from + width; i++) {
        max = Math.max(max, logits[i]);
      }
      double sum = 0;
      for (int i = from; i < from + width; i++) {
        sum += Math.exp(logits[i] - max);
      }
      for (int i = from; i < from + width; i++) {
        out[i] = (float) (Math.exp(logits[i] - max) / sum);
      }
    }
    return out;
  }

  @Override
  public StepResult trainStep(TrainStep request) {
    throw new IllegalStateException("a served SavedModel predicts only; train with Engine.create");
  }


  @Override
  public void save(Path directory) {
    throw new IllegalStateException("a served SavedModel is not saved again; copy its folder");
  }

  @Override
  public void saveCheckpoint(Path directory) {
    throw new IllegalStateException("a served SavedModel predicts only");
  }

  @Override
  public long parameterCount() {
    return 0;
  }

  @Override
  public void close() {
    model.close();
  }

}
