package dev.mtl.core.engine;

/**
 * Work ended at a safe point because the process was asked to stop (SIGTERM, Ctrl-C, or {@link
 * GracefulStop#request()}). The message says what was kept, e.g. the checkpoint to resume from.
 */
public final class StopRequestedException extends RuntimeException {
  public StopRequestedException(String message) {
    super(message);
  }
}
