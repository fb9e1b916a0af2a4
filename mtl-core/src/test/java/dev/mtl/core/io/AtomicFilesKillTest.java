package dev.mtl.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A process killed (SIGKILL) at any step of a directory save: the next reader finds the old or the new directory, whole. */
class AtomicFilesKillTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "killed at: {0}")
  @ValueSource(strings = {"writing", "complete", "old moved aside", "new in place", "old deleted"})
  @DisplayName("after a kill at any step of writeDirectory, recovery finds the old or the new copy whole, and the next save cleans up")
  void killedAtEveryStep(String step) throws Exception {
    Path target = dir.resolve("model");
    AtomicFiles.writeDirectory(target, d -> {
      Files.writeString(d.resolve("a.txt"), "old");
      Files.writeString(d.resolve("b.txt"), "old");
    });
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), SaveUntilKilled.class.getName(), target.toString(), step)
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).as("the child reached the step").isEqualTo("PAUSED");
      child.destroyForcibly(); // SIGKILL: no finally block, no cleanup
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    Path readable = AtomicFiles.recoverDirectory(target);
    assertThat(readable).isEqualTo(target.toAbsolutePath());
    String a = Files.readString(target.resolve("a.txt"));
    assertThat(a).isIn("old", "new");
    assertThat(Files.readString(target.resolve("b.txt"))).as("both files from the same save").isEqualTo(a);
    try (Stream<Path> files = Files.list(target)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a.txt", "b.txt");
    }
    // Killed before the old copy moved aside: the old one is still in place; after that, the new one is taken.
    assertThat(a).isEqualTo(List.of("writing", "complete").contains(step) ? "old" : "new");

    AtomicFiles.writeDirectory(target, d -> Files.writeString(d.resolve("c.txt"), "third"));
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).containsExactly(target);
    }
    assertThat(Files.readString(target.resolve("c.txt"))).isEqualTo("third");
  }
}
