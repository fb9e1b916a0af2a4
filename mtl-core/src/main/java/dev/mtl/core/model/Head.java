package dev.mtl.core.model;

import dev.mtl.core.task.OutputSpec;

/**
 * A task's output layer: dropout then one linear map from the vector of layer {@code input}.
 *
 * @param task the task this head predicts
 * @param input id of a {@link Layer.Pool} layer
 * @param output the head's outputs and loss
 * @param dropout dropout on the head's input in training
 */
public record Head(String task, String input, OutputSpec output, double dropout) {}
