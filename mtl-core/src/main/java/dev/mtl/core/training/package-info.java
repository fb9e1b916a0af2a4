/**
 * The training loop and what runs it more than once: single-task baselines, cross-validation,
 * pseudo-label rounds, task affinity; reports of finished runs.
 */
package dev.mtl.core.training;
