/** {@code mtl serve}: a trained model behind HTTP, with dynamic batching and Prometheus metrics. */
package dev.mtl.serving;
