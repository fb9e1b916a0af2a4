package dev.mtl.core.engine;

/**
 * A training step met a loss or gradient that is NaN or infinite. The engine throws it before
 * changing any parameter, so the network is still the one after the last good step.
 */
public final class NonFiniteException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long step;

  public NonFiniteException(long step, String what) {
    super(what + " at step " + step);
    this.step = step;
  }

  public long step() {
    return step;
  }
}
