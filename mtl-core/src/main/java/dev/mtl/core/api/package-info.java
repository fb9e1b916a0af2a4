/** The embedding API: load a trained model and predict or evaluate every task. */
package dev.mtl.core.api;
