package dev.mtl.core.task;

import java.util.Locale;

/** The usual three parts of a dataset. */
public enum DataSplit {
  TRAIN,
  DEV,
  TEST;

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
