package dev.mtl.core.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.data.DataException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordVectorsTest {
  @TempDir Path dir;

  private static final String GLOVE = "the 0.1 0.2 -0.3\ngood 1.5 -2 3e-2\nbad -1 -1 -1\n";

  @Test
  void readsGloveKeepingOnlyTheWordsAskedFor() throws Exception {
    WordVectors v = WordVectors.read(Files.writeString(dir.resolve("glove.txt"), GLOVE), Set.of("good", "bad", "absent")::contains);
    assertThat(v.dimension()).isEqualTo(3);
    assertThat(v.lines()).isEqualTo(3);
    assertThat(v.vectors()).containsOnlyKeys("good", "bad");
    assertThat(v.vectors().get("good")).containsExactly(1.5f, -2f, 0.03f);
  }

  @Test
  void readsVecWithHeaderAndGzip() throws Exception {
    Path file = dir.resolve("vectors.vec.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(("3 3\n" + GLOVE).getBytes(StandardCharsets.UTF_8));
    }
    WordVectors v = WordVectors.read(file, w -> true);
    assertThat(v.dimension()).isEqualTo(3);
    assertThat(v.vectors().get("the")).containsExactly(0.1f, 0.2f, -0.3f);
  }

  @Test
  void reportsMalformedLinesWithFileAndLine() throws Exception {
    Path short_ = Files.writeString(dir.resolve("short.txt"), GLOVE + "ugly 1 2\n");
    assertThatThrownBy(() -> WordVectors.read(short_, w -> true)).isInstanceOf(DataException.class)
        .hasMessageContaining("short.txt:4").hasMessageContaining("'ugly' has 2 values").hasMessageContaining("have 3");
    Path word = Files.writeString(dir.resolve("nan.txt"), "good 1 x 3\n");
    assertThatThrownBy(() -> WordVectors.read(word, Set.of("good")::contains)).isInstanceOf(DataException.class)
        .hasMessageContaining("nan.txt:1").hasMessageContaining("'x', not a number");
    Path header = Files.writeString(dir.resolve("cut.vec"), "5 3\n" + GLOVE);
    assertThatThrownBy(() -> WordVectors.read(header, w -> true)).isInstanceOf(DataException.class)
        .hasMessageContaining("cut.vec:1").hasMessageContaining("announces 5 vectors but the file has 3");
    Path headerWidth = Files.writeString(dir.resolve("wide.vec"), "3 4\n" + GLOVE);
    assertThatThrownBy(() -> WordVectors.read(headerWidth, w -> true)).hasMessageContaining("wide.vec:2").hasMessageContaining("its header");
  }
}
