/**
 * Builds a run from its config once: plugins resolved, tasks, tokenizer, the model graph, the
 * engine; training and model loading both start here.
 */
package dev.mtl.core.assembly;
