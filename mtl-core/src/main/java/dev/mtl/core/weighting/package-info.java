/** Loss weightings: per-task losses (and optionally a Gramian of task gradients) in, task weights out. */
package dev.mtl.core.weighting;
