/** Built-in loss weightings: plain Java from per-task losses (and Gramians) to task weights. */
package dev.mtl.weighting;
