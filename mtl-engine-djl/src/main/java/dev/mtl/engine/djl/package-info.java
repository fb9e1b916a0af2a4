/** Executes mtl model graphs on the Deep Java Library (PyTorch engine). Internals are package-private. */
package dev.mtl.engine.djl;
