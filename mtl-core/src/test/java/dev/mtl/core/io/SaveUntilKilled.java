package dev.mtl.core.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process for {@link AtomicFilesKillTest}: replaces {@code <target>} with version "new" through
 * {@link AtomicFiles#writeDirectory} and stops dead at the step given, printing PAUSED, to be killed.
 */
public final class SaveUntilKilled {
  private SaveUntilKilled() {}

  public static void main(String[] args) throws Exception {
    Path target = Path.of(args[0]);
    String pauseAt = args[1];
    AtomicFiles.stepHook = step -> {
      if (step.equals(pauseAt)) {
        pause();
      }
    };
    AtomicFiles.writeDirectory(target, dir -> {
      Files.writeString(dir.resolve("a.txt"), "new");
      if (pauseAt.equals("writing")) {
        pause(); // b.txt not written yet
      }
      Files.writeString(dir.resolve("b.txt"), "new");
    });
    System.out.println("DONE");
  }

  private static void pause() {
    System.out.println("PAUSED");
    System.out.flush();
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
