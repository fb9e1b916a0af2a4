package dev.mtl.core.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face), which Python tools read: an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range, then the tensors' bytes,
 * little-endian, in order. mtl writes and reads float32 ({@code F32}) tensors only. Reading checks
 * every range against the file before allocating, so a damaged or hostile file fails with its name.
 */
final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A header larger than this is not one mtl wrote (the format's own readers cap it at 100 MB too). */
  private static final long MAX_HEADER_BYTES = 100L << 20;

  private SafeTensors() {}

  static void write(Path file, Map<String, ParameterFile.Tensor> tensors) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt").put("writer", "mtl");
    long offset = 0;
    for (Map.Entry<String, ParameterFile.Tensor> e : tensors.entrySet()) {
      ObjectNode entry = header.putObject(e.getKey()).put("dtype", "F32");
      ArrayNode shape = entry.putArray("shape");
      Arrays.stream(e.getValue().shape()).forEach(shape::add);
      long end = offset + 4L * e.getValue().values().length;
      entry.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // The data starts 8-byte aligned, as the format recommends: the header is padded with spaces.
    int padded = (json.length + 7) / 8 * 8;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
      out.write(length.array());
      out.write(json);
      out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
      ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (ParameterFile.Tensor t : tensors.values()) {
        for (float v : t.values()) {
          if (!chunk.hasRemaining()) {
            out.write(chunk.array(), 0, chunk.position());
            chunk.clear();
          }
          chunk.putFloat(v);
        }
      }
      out.write(chunk.array(), 0, chunk.position());
    }
  }

  private record Entry(String name, long[] shape, long begin, long end) {}

  static Map<String, ParameterFile.Tensor> read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      if (size < 8 || channel.read(length, 0) != 8) {
        throw damaged(file, "no header (the file has " + size + " bytes)");
      }
      long headerBytes = length.getLong(0);
      if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES || headerBytes > size - 8) {
        throw damaged(file, "a header of " + headerBytes + " bytes in a file of " + size);
      }
      ByteBuffer headerBuffer = ByteBuffer.allocate((int) headerBytes);
      channel.read(headerBuffer, 8);
      JsonNode header;
      try {
        header = JSON.readTree(headerBuffer.array());
      } catch (IOException e) {
        throw damaged(file, "a header that is not JSON");
      }
      if (header == null || !header.isObject()) {
        throw damaged(file, "a header that is not a JSON object");
      }
      long dataStart = 8 + headerBytes;
      long dataBytes = size - dataStart;
      List<Entry> entries = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (!field.getKey().equals("__metadata__")) {
          entries.add(entry(file, field.getKey(), field.getValue(), dataBytes));
        }
      }
      // In file order: the order the tensors were created in, which the layout checks against.
      entries.sort(Comparator.comparingLong(Entry::begin));
      Map<String, ParameterFile.Tensor> tensors = new LinkedHashMap<>();
      for (Entry e : entries) {
        ByteBuffer bytes = ByteBuffer.allocate((int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining()) {
          if (channel.read(bytes, dataStart + e.begin() + bytes.position()) < 0) {
            throw damaged(file, "tensor '" + e.name() + "' past its end");
          }
        }
        bytes.flip();
        float[] values = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(values);
        for (int i = 0; i < values.length; i++) {
          if (!Float.isFinite(values[i])) {
            throw new IOException(file + ": tensor '" + e.name() + "' holds " + values[i] + " at index " + i + "; the model is damaged"
                + " or was saved from a diverged run. Retrain it (lower training.learning-rate or set training.clip-norm), or restore it.");
          }
        }
        tensors.put(e.name(), new ParameterFile.Tensor(e.shape(), values));
      }
      return tensors;
    } catch (NoSuchFileException e) {
      throw new IOException(file + " is missing: the model directory is incomplete. Retrain the model, or restore the directory.", e);
    }
  }

  /** One tensor's header entry, checked: F32, a sane shape, and a byte range inside the data that fits the shape. */
  private static Entry entry(Path file, String name, JsonNode node, long dataBytes) throws IOException {
    String dtype = node.path("dtype").asText("");
    if (!dtype.equals("F32")) {
      throw damaged(file, "tensor '" + name + "' of dtype '" + dtype + "' (mtl reads F32 only)");
    }
    JsonNode shapeNode = node.path("shape");
    JsonNode offsets = node.path("data_offsets");
    if (!shapeNode.isArray() || shapeNode.size() > 16 || !offsets.isArray() || offsets.size() != 2) {
      throw damaged(file, "tensor '" + name + "' without a shape and two data offsets");
    }
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong(-1);
      if (shape[i] < 0 || !shapeNode.get(i).canConvertToLong()) {
        throw damaged(file, "tensor '" + name + "' with the dimension " + shapeNode.get(i));
      }
      count = shape[i] == 0 || count == 0 ? 0 : count > Long.MAX_VALUE / 4 / shape[i] ? Long.MAX_VALUE / 4 : count * shape[i];
    }
    long begin = offsets.get(0).asLong(-1);
    long end = offsets.get(1).asLong(-1);
    if (begin < 0 || end < begin || end > dataBytes || end - begin != 4 * count || count > Integer.MAX_VALUE - 8) {
      throw damaged(file, "tensor '" + name + "' of shape " + Arrays.toString(shape) + " (" + 4 * count + " bytes) at bytes ["
          + begin + ", " + end + ") of " + dataBytes);
    }
    return new Entry(name, shape, begin, end);
  }

  private static IOException damaged(Path file, String what) {
    return new IOException(file + " is damaged: it declares " + what + ". Retrain the model or restore the directory.");
  }
}
