package dev.mtl.core.engine;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An engine-neutral file of named float32 tensors, so that parameters saved by one engine can be
 * read by another. Layout (big-endian): the magic {@code MTLP}, a format version, the tensor
 * count, then per tensor its name (modified UTF-8), rank, dimensions and values.
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

  /** Reads every tensor, in file order; a truncated or foreign file is an error naming the file. */
  public static Map<String, Tensor> read(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      if (in.readInt() != MAGIC) {
        throw new IOException(file + " is not an mtl parameter file");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(file + " has parameter format " + version + "; this mtl reads format " + VERSION);
      }
      int count = in.readInt();
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (int t = 0; t < count; t++) {
        String name = in.readUTF();
        long[] shape = new long[in.readInt()];
        long size = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = in.readLong();
          size *= shape[i];
        }
        float[] values = new float[Math.toIntExact(size)];
        for (int i = 0; i < values.length; i++) {
          values[i] = in.readFloat();
        }
        tensors.put(name, new Tensor(shape, values));
      }
      return tensors;
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(file + " is missing: the model directory is incomplete or was written by an older mtl. "
          + "Retrain the model with this version, or restore the directory.", e);
    } catch (EOFException e) {
      throw new IOException(file + " is truncated; the model directory is damaged. Retrain or restore it.", e);
    }
  }
}
