package dev.mtl.core.run;

import dev.mtl.core.config.ConfigSection;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Dev and test rows carved from a task's training file, for data that comes without them (e.g.
 * SUBJ): {@code holdout: {dev: 0.1, test: 0.1}} in the task's config. A row's split depends on its
 * text alone (a stable hash), so it is the same in every run, whatever the seed or file order, and
 * repeated texts never land on both sides.
 *
 * @param dev share of the training rows that become the dev split
 * @param test share that becomes the test split
 */
public record Holdout(double dev, double test) {
  public Holdout {
    if (!(dev >= 0 && test >= 0 && dev + test < 1)) {
      throw new IllegalArgumentException("holdout shares dev " + dev + " and test " + test + " must be at least 0 and add to below 1");
    }
  }

  /** Reads {@code holdout} from a task's settings, recording problems there; empty when not given. */
  static Optional<Holdout> read(ConfigSection task) {
    if (!task.has("holdout")) {
      return Optional.empty();
    }
    ConfigSection section = task.section("holdout");
    double dev = section.number("dev", 0, 0, 0.5);
    double test = section.number("test", 0, 0, 0.5);
    boolean valid = true;
    if (dev == 0 && test == 0) {
      task.problem("holdout", section.values(), "must give a `dev` or `test` share above 0, e.g. {dev: 0.1, test: 0.1}");
      valid = false;
    }
    for (String split : new String[] {"dev", "test"}) {
      double share = split.equals("dev") ? dev : test;
      if (share > 0 && task.has(split)) {
        task.problem(split, task.values().get(split), "is given as a file and as `holdout." + split + "`; keep one");
        valid = false;
      }
    }
    return valid ? Optional.of(new Holdout(dev, test)) : Optional.empty();
  }

  /** Where the row with this text goes. */
  public Split splitOf(String text) {
    double u = position(text);
    return u < test ? Split.TEST : u < test + dev ? Split.DEV : Split.TRAIN;
  }

  public enum Split { TRAIN, DEV, TEST }

  /** A stable position in [0, 1) for a text: 64-bit FNV-1a of its UTF-8 bytes, top 53 bits. */
  static double position(String text) {
    long hash = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x100000001b3L;
    }
    // FNV's low bits mix poorly for short inputs; a final avalanche (SplitMix64's) spreads them.
    hash ^= hash >>> 33;
    hash *= 0xff51afd7ed558ccdL;
    hash ^= hash >>> 33;
    return (hash >>> 11) * 0x1.0p-53;
  }
}
