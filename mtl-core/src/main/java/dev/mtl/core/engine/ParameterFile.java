package dev.mtl.core.engine;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An engine-neutral file of named float32 tensors, so that parameters saved by one engine can be
 * read by another. A file named {@code *.safetensors} is in the safetensors format, which Python
 * tools read ({@link SafeTensors}; a model's parameters). Any other name is mtl's own layout
 * (big-endian): the magic {@code MTLP}, a format version, the tensor count, then per tensor its
 * name (modified UTF-8), rank, dimensions and values (optimizer state, and models saved before).
 */
public final class ParameterFile {
  private static final int MAGIC = 0x4D544C50; // "MTLP"
  private static final int VERSION = 1;

  private ParameterFile() {}

  /** A named tensor's shape and values in row-major order. */
  public record Tensor(long[] shape, float[] values) {
    public Tensor {
      long size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      if (size != values.length) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + size + " values, got " + values.length);
      }
    }
  }

  public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    if (isSafeTensors(file)) {
      SafeTensors.write(file, tensors);
      return;
    }
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(tensors.size());
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        out.writeUTF(e.getKey());
        long[] shape = e.getValue().shape();
        out.writeInt(shape.length);
        for (long d : shape) {
          out.writeLong(d);
        }
        for (float v : e.getValue().values()) {
          out.writeFloat(v);
        }
      }
    }
  }

  /** The most dimensions a tensor may have; more means the file is damaged. */
  private static final int MAX_RANK = 16;

  /**
   * Reads every tensor, in file order. A truncated, damaged or foreign file is an error naming the
   * file before anything large is allocated: every shape is checked against the bytes the file has
   * left. A tensor holding NaN or an infinity is refused too (a diverged or damaged model).
   */
  public static Map<String, Tensor> read(Path file) throws IOException {
    if (isSafeTensors(file)) {
      return SafeTensors.read(file);
    }
    long left;
    try {
      left = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new IOException(file + " is missing: the model directory is incomplete or was written by an older mtl. "
          + "Retrain the model with this version, or restore the directory.", e);
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (left < 12 || in.readInt() != MAGIC) {
        throw new IOException(file + " is not an mtl parameter file; the model directory is damaged. Retrain or restore it.");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(file + " has parameter format " + version + "; this mtl reads format " + VERSION);
      }
      int count = in.readInt();
      left -= 12;
      if (count < 0) {
        throw damaged(file, "a negative tensor count (" + count + ")");
      }
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (int t = 0; t < count; t++) {
        String name = in.readUTF();
        int rank = in.readInt();
        left -= 2 + name.getBytes(StandardCharsets.UTF_8).length + 4;
        if (rank < 0 || rank > MAX_RANK) {
          throw damaged(file, "tensor '" + name + "' with " + rank + " dimensions");
        }
        long[] shape = new long[rank];
        long size = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = in.readLong();
          if (shape[i] < 0) {
            throw damaged(file, "tensor '" + name + "' with the negative dimension " + shape[i]);
          }
          size = shape[i] == 0 || size == 0 ? 0 : size > Long.MAX_VALUE / 4 / shape[i] ? Long.MAX_VALUE / 4 : size * shape[i];
        }
        left -= 8L * rank;
        if (size > Integer.MAX_VALUE - 8 || 4 * size > left) {
          throw damaged(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " (" + size + " values, "
              + 4 * size + " bytes) where " + Math.max(left, 0) + " bytes are left");
        }
        float[] values = new float[(int) size];
        for (int i = 0; i < values.length; i++) {
          values[i] = in.readFloat();
          if (!Float.isFinite(values[i])) {
            throw new IOException(file + ": tensor '" + name + "' holds " + values[i] + " at index " + i + "; the model is damaged"
                + " or was saved from a diverged run. Retrain it (lower training.learning-rate or set training.clip-norm), or restore it.");
          }
        }
        left -= 4 * size;
        tensors.put(name, new Tensor(shape, values));
      }
      return tensors;
    } catch (NoSuchFileException e) {
      throw new IOException(file + " is missing: the model directory is incomplete or was written by an older mtl. "
          + "Retrain the model with this version, or restore the directory.", e);
    } catch (EOFException | UTFDataFormatException e) {
      throw new IOException(file + " is truncated or damaged; the model directory is damaged. Retrain or restore it.", e);
    }
  }

  private static boolean isSafeTensors(Path file) {
    return file.getFileName().toString().endsWith(".safetensors");
  }

  private static IOException damaged(Path file, String what) {
    return new IOException(file + " is damaged: it declares " + what + ". Retrain the model or restore the directory.");
  }
}
