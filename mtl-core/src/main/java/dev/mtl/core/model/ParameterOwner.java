package dev.mtl.core.model;

/**
 * Something in a {@link ModelGraph} that owns parameters: a layer, a cross-stitch mixing unit, a
 * task's head or an auxiliary loss (a task discriminator). Engines map owners to their own parameter names.
 *
 * @param kind what {@code id} names
 * @param id a layer id, a mixing unit id, the task of a head, or an auxiliary loss's id
 */
public record ParameterOwner(Kind kind, String id) {
  public enum Kind { LAYER, MIXING_UNIT, HEAD, AUXILIARY }

  public static ParameterOwner layer(String id) {
    return new ParameterOwner(Kind.LAYER, id);
  }

  public static ParameterOwner unit(String id) {
    return new ParameterOwner(Kind.MIXING_UNIT, id);
  }

  public static ParameterOwner head(String task) {
    return new ParameterOwner(Kind.HEAD, task);
  }

  public static ParameterOwner auxiliary(String id) {
    return new ParameterOwner(Kind.AUXILIARY, id);
  }
}
