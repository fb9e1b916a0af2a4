/** Scoring texts in length-sorted batches, for prediction and evaluation alike; data sources of encoded texts. */
package dev.mtl.core.inference;
