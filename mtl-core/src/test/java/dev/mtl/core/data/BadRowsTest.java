package dev.mtl.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BadRowsTest {
  private final Logger logger = Logger.getLogger(BadRows.class.getName());
  private final List<String> warnings = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel() == Level.WARNING) {
        warnings.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters()));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void listen() {
    logger.addHandler(capture);
  }

  @AfterEach
  void stopListening() {
    logger.removeHandler(capture);
  }

  private static List<RowProblem> problems(String file, long... lines) {
    List<RowProblem> problems = new ArrayList<>();
    for (long line : lines) {
      problems.add(new RowProblem(file, line, "empty text", ""));
    }
    return problems;
  }

  @Test
  @DisplayName("without bad-rows: skip the rows fail the read, listed in line order with the fix")
  void failsWithoutSkip() {
    assertThatThrownBy(() -> BadRows.handle("cr", "cr.txt", problems("cr.txt", 9, 3), false))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("Task 'cr': 2 bad rows in cr.txt:\n  cr.txt:3: empty text")
        .hasMessageContaining("set `bad-rows: skip`");
  }

  @Test
  @DisplayName("skipped rows are counted every time but warned of once: a file read twice in a run reports once")
  void warnsOncePerReport() {
    String file = "cr-" + System.nanoTime() + ".txt";
    assertThat(BadRows.handle("mpqa", file, problems(file, 4, 7), true)).isEqualTo(2);
    assertThat(BadRows.handle("mpqa", file, problems(file, 4, 7), true)).isEqualTo(2);
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).startsWith("Task 'mpqa': skipped 2 bad rows in " + file).contains(file + ":7: empty text");

    // Other rows of the same file, or the same rows under another task, are news.
    assertThat(BadRows.handle("mpqa", file, problems(file, 4), true)).isEqualTo(1);
    assertThat(BadRows.handle("subj", file, problems(file, 4, 7), true)).isEqualTo(2);
    assertThat(warnings).hasSize(3);
  }
}
