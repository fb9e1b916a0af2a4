/** The tensorflow engine: lowers a ModelGraph to a TensorFlow graph through the TF Java API, trains it, exports and serves SavedModels. Internals are package-private. */
package dev.mtl.engine.tensorflow;
