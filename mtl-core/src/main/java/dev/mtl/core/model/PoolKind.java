package dev.mtl.core.model;

import java.util.Locale;

/** How a sequence becomes one vector; padding positions never count. */
public enum PoolKind {
  MEAN,
  MAX;

  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
