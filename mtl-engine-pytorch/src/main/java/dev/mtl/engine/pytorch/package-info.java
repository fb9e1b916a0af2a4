/** The djl-pytorch engine: lowers a ModelGraph onto PyTorch operations through DJL, trains and predicts. Internals are package-private. */
package dev.mtl.engine.pytorch;
