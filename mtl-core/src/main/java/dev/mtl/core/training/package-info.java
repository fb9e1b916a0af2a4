/** The engine-neutral training loop: data sources, length-aware batching, evaluation, reports. */
package dev.mtl.core.training;
