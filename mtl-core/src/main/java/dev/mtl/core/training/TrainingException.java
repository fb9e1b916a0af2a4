package dev.mtl.core.training;

/**
 * A run that cannot start or go on, for a reason the user can act on (a diverged loss, an output
 * folder that is not mtl's, nothing to resume): the message says what happened and what to do.
 */
public final class TrainingException extends RuntimeException {
  public TrainingException(String message) {
    super(message);
  }

  public TrainingException(String message, Throwable cause) {
    super(message, cause);
  }
}
