/** Pretrained sentence encoders (ONNX, TorchScript or SavedModel files with a HuggingFace tokenizer) run through DJL. Internals are package-private. */
package dev.mtl.engine.pretrained;
