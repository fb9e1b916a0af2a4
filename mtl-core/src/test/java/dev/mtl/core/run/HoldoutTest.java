package dev.mtl.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HoldoutTest {
  @Test
  @DisplayName("a row's split depends on its text alone, in the configured shares")
  void sharesAndStability() {
    Holdout holdout = new Holdout(0.1, 0.2);
    Map<Holdout.Split, Integer> counts = new EnumMap<>(Holdout.Split.class);
    int n = 20000;
    for (int i = 0; i < n; i++) {
      String text = "text number " + i;
      Holdout.Split split = holdout.splitOf(text);
      assertThat(holdout.splitOf(new String(text.toCharArray()))).isEqualTo(split);
      counts.merge(split, 1, Integer::sum);
    }
    assertThat(counts.get(Holdout.Split.DEV) / (double) n).isCloseTo(0.1, within(0.01));
    assertThat(counts.get(Holdout.Split.TEST) / (double) n).isCloseTo(0.2, within(0.01));
    // Growing a share only moves rows out of train: the test split of 0.2 holds that of 0.1.
    for (int i = 0; i < 2000; i++) {
      String text = "text number " + i;
      if (new Holdout(0, 0.1).splitOf(text) == Holdout.Split.TEST) {
        assertThat(holdout.splitOf(text)).isEqualTo(Holdout.Split.TEST);
      }
    }
  }

  private static ConfigSection task(Map<String, Object> settings) {
    return ConfigSection.of("run.yaml tasks[0]", Path.of("."), settings);
  }

  @Test
  @DisplayName("read from a task's settings; a split given both as a file and as a share, or no share at all, is a problem")
  void reading() {
    ConfigSection plain = task(Map.of("holdout", Map.of("dev", 0.1, "test", 0.15)));
    assertThat(Holdout.read(plain)).contains(new Holdout(0.1, 0.15));
    assertThat(plain.source().problems()).isEmpty();

    ConfigSection both = task(Map.of("dev", "dev.txt", "holdout", Map.of("dev", 0.1)));
    assertThat(Holdout.read(both)).isEmpty();
    assertThat(both.source().problems()).extracting(p -> p.message())
        .anySatisfy(m -> assertThat(m).contains("`dev`").contains("is given as a file and as `holdout.dev`; keep one"));

    ConfigSection none = task(Map.of("holdout", Map.of()));
    assertThat(Holdout.read(none)).isEmpty();
    assertThat(none.source().problems()).extracting(p -> p.message()).anySatisfy(m -> assertThat(m).contains("must give a `dev` or `test` share"));

    ConfigSection tooBig = task(Map.of("holdout", Map.of("test", 0.7)));
    Holdout.read(tooBig);
    assertThat(tooBig.source().problems()).extracting(p -> p.message()).anySatisfy(m -> assertThat(m).contains("holdout.test"));
    assertThat(Holdout.read(task(Map.of()))).isEmpty();
  }
}
