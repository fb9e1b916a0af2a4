package dev.mtl.engine.pretrained;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.mtl.core.io.AtomicFiles;
import dev.mtl.core.text.TextEncoder;
import dev.mtl.core.text.TextEncoderFactory;
import dev.mtl.engine.djl.DjlRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A pretrained transformer's own tokenizer (a HuggingFace {@code tokenizer.json}, through DJL): its
 * fixed vocabulary, special tokens ({@code [CLS] ... [SEP]} for BERT) and truncation at {@code
 * maxLength} tokens. Nothing is learned from the training texts; the model folder keeps a copy of
 * the file.
 */
final class TransformerTokenizer implements TextEncoder {
  static final String FILE = "tokenizer.json";
  private static final String SETTINGS = "transformer-tokenizer.txt";

  private final Path file;
  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final int vocabularySize;
  private final int paddingId;

  private TransformerTokenizer(Path file, int maxLength, int vocabularySize) throws IOException {
    DjlRuntime.ensureOffline();
    this.file = file;
    this.maxLength = maxLength;
    this.vocabularySize = vocabularySize;
    this.tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of("maxLength", Integer.toString(maxLength), "truncation", "true",
        "padding", "false", "addSpecialTokens", "true"));
    // BERT-family vocabularies hold [PAD] (id 0 in BERT's); its positions are masked everywhere anyway.
    long[] pad = tokenizer.encode("[PAD]", false, false).getIds();
    this.paddingId = pad.length == 1 ? Math.toIntExact(pad[0]) : 0;
  }

  @Override
  public synchronized int[] encode(String text) {
    long[] ids = tokenizer.encode(text).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabularySize) {
        throw new IllegalStateException("tokenizer " + file + " gave id " + ids[i] + " for the text '" + text + "', outside the"
            + " transformer's " + vocabularySize + " token embeddings; the tokenizer does not belong to the model");
      }
      out[i] = (int) ids[i];
    }
    return out;
  }

  @Override
  public int vocabularySize() {
    return vocabularySize;
  }

  @Override
  public int paddingId() {
    return paddingId;
  }

  @Override
  public int maxLength() {
    return maxLength;
  }

  @Override
  public void save(Path directory) throws IOException {
    Files.copy(file, directory.resolve(FILE));
    AtomicFiles.writeString(directory.resolve(SETTINGS), maxLength + " " + vocabularySize + "\n");
  }

  /**
   * Makes the tokenizer from a {@code tokenizer.json}, or restores it from a model folder.
   *
   * @param file the {@code tokenizer.json}; null for a model folder's encoder, which only restores
   */
  record Factory(Path file, int maxLength, int vocabularySize) implements TextEncoderFactory {
    @Override
    public TextEncoder fit(List<String> trainingTexts) {
      if (file == null) {
        throw new IllegalStateException("a saved model's transformer tokenizer is restored from its folder, not fitted");
      }
      try {
        return new TransformerTokenizer(file, maxLength, vocabularySize);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the tokenizer " + file + ": " + e.getMessage(), e);
      }
    }

    @Override
    public TextEncoder load(Path directory) throws IOException {
      Path settings = directory.resolve(SETTINGS);
      if (!Files.isRegularFile(settings) || !Files.isRegularFile(directory.resolve(FILE))) {
        throw new IOException(directory + " holds no transformer tokenizer (" + FILE + " and " + SETTINGS
            + "); the model folder is incomplete: retrain or restore it");
      }
      int[] values = Arrays.stream(Files.readString(settings).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
      return new TransformerTokenizer(directory.resolve(FILE), values[0], values[1]);
    }
  }
}
