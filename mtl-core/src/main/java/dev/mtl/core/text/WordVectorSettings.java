package dev.mtl.core.text;

import dev.mtl.core.config.ConfigSection;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * {@code model.word-vectors}: pretrained word vectors that start the token embeddings.
 *
 * @param file GloVe or word2vec/fastText text file, optionally gzip-compressed
 * @param frozen true to keep the vectors as they are ({@code train: frozen}), false to fine-tune
 *     them with the rest ({@code train: fine-tune}, the default)
 */
public record WordVectorSettings(Path file, boolean frozen) {
  public static final String KEY = "word-vectors";

  /** Reads {@code model.word-vectors}, if given; problems are recorded on the section. */
  public static Optional<WordVectorSettings> read(ConfigSection model) {
    if (!model.has(KEY)) {
      return Optional.empty();
    }
    ConfigSection section = model.section(KEY);
    Optional<Path> file = section.path("file", true);
    if (file.isEmpty() && !section.has("file")) {
      section.problem("file", null, "is required: a GloVe (.txt) or word2vec/fastText (.vec) file, gzip allowed (.gz)");
    }
    String train = section.oneOf("train", "fine-tune", Set.of("fine-tune", "frozen"));
    return file.map(f -> new WordVectorSettings(f, train.equals("frozen")));
  }
}
