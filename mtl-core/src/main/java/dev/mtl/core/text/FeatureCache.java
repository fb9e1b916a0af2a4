package dev.mtl.core.text;

import dev.mtl.core.data.DataException;
import dev.mtl.core.engine.GracefulStop;
import dev.mtl.core.engine.StopRequestedException;
import dev.mtl.core.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A frozen sentence encoder's vectors, kept on disk (one file per encoder id in a run's {@code
 * features/} folder) and keyed by the SHA-256 of each text, so each distinct text is encoded once:
 * later epochs, evaluations, resumed and repeated runs in the same directory read the file.
 *
 * <p>File: magic {@code MTLF}, format 1, the width, the count, then per text its 32-byte digest and
 * {@code width} big-endian floats. Written atomically; a file of another width or a cut-off file is
 * reported, never half-read.
 */
public final class FeatureCache {
  private static final int MAGIC = 0x4D544C46; // "MTLF"
  private static final int FORMAT = 1;
  private static final int ENCODE_BATCH = 64;

  private final SentenceEncoder encoder;
  private final Path file;
  private final Map<String, float[]> vectors = new LinkedHashMap<>();
  private long encodedTexts;
  private long cachedTexts;

  private FeatureCache(SentenceEncoder encoder, Path file) {
    this.encoder = encoder;
    this.file = file;
  }

  /** The cache of {@code encoder} in {@code directory}, with the vectors an earlier run saved there. */
  public static FeatureCache open(SentenceEncoder encoder, Path directory) throws IOException {
    FeatureCache cache = new FeatureCache(encoder, directory.resolve(fileName(encoder.id())));
    if (Files.isRegularFile(cache.file)) {
      cache.read();
    }
    return cache;
  }

  /** A cache that lives in memory only (serving a saved model: texts come and go). */
  public static FeatureCache inMemory(SentenceEncoder encoder) {
    return new FeatureCache(encoder, null);
  }

  public SentenceEncoder encoder() {
    return encoder;
  }

  /**
   * The vector of each text: from the cache, or encoded now (distinct missing texts only, in
   * batches) and then saved with the rest.
   */
  public float[][] vectors(List<String> texts) throws IOException {
    List<String> missing = new ArrayList<>();
    Set<String> queued = new HashSet<>();
    String[] keys = new String[texts.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = key(texts.get(i));
      if (vectors.containsKey(keys[i])) {
        cachedTexts++;
      } else if (queued.add(keys[i])) {
        missing.add(texts.get(i));
      }
    }
    for (int start = 0; start < missing.size(); start += ENCODE_BATCH) {
      if (GracefulStop.requested()) {
        if (file != null && start > 0) {
          write(); // what is encoded so far is kept for the next run
        }
        throw new StopRequestedException("stopped by a signal while encoding texts with " + encoder.id() + " (" + start + " of "
            + missing.size() + " done" + (file != null && start > 0 ? ", kept in " + file : "") + ")");
      }
      List<String> batch = missing.subList(start, Math.min(missing.size(), start + ENCODE_BATCH));
      float[][] encoded = encoder.encode(batch);
      for (int i = 0; i < batch.size(); i++) {
        if (encoded[i].length != encoder.width()) {
          throw new IllegalStateException("sentence encoder " + encoder.id() + " returned a vector of length " + encoded[i].length
              + " for a width of " + encoder.width());
        }
        vectors.put(key(batch.get(i)), encoded[i]);
      }
      encodedTexts += batch.size();
    }
    if (!missing.isEmpty() && file != null) {
      write();
    }
    float[][] out = new float[texts.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = vectors.get(keys[i]);
    }
    return out;
  }

  /** Texts the encoder has run on through this cache. */
  public long encodedTexts() {
    return encodedTexts;
  }

  /** Lookups answered from the cache. */
  public long cachedTexts() {
    return cachedTexts;
  }

  /** Distinct texts held. */
  public int size() {
    return vectors.size();
  }

  private void read() throws IOException {
    int width = encoder.width();
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file));
        DataInputStream in = new DataInputStream(raw)) {
      if (in.readInt() != MAGIC || in.readInt() != FORMAT) {
        throw new DataException(file + " is not an mtl feature cache (format " + FORMAT + "); delete it to encode the texts again");
      }
      int fileWidth = in.readInt();
      if (fileWidth != width) {
        throw new DataException(file + " holds vectors of width " + fileWidth + " but encoder " + encoder.id() + " gives "
            + width + "; delete it to encode the texts again");
      }
      int count = in.readInt();
      byte[] digest = new byte[32];
      for (int n = 0; n < count; n++) {
        in.readFully(digest);
        float[] vector = new float[width];
        for (int j = 0; j < width; j++) {
          vector[j] = in.readFloat();
        }
        vectors.put(HexFormat.of().formatHex(digest), vector);
      }
    } catch (EOFException e) {
      throw new DataException(file + " ends early (cut off while written?); delete it to encode the texts again");
    }
  }

  private void write() throws IOException {
    AtomicFiles.writeFile(file, stream -> {
      DataOutputStream out = new DataOutputStream(stream);
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(encoder.width());
      out.writeInt(vectors.size());
      for (Map.Entry<String, float[]> e : vectors.entrySet()) {
        out.write(HexFormat.of().parseHex(e.getKey()));
        for (float v : e.getValue()) {
          out.writeFloat(v);
        }
      }
      out.flush();
    });
  }

  private static String key(String text) {
    return HexFormat.of().formatHex(sha256(text));
  }

  /** A file name that is safe on every file system and unique per encoder id. */
  static String fileName(String encoderId) {
    String readable = encoderId.replaceAll("[^A-Za-z0-9._-]+", "-");
    if (readable.length() > 60) {
      readable = readable.substring(0, 60);
    }
    return readable + "-" + HexFormat.of().formatHex(sha256(encoderId), 0, 8) + ".features";
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
