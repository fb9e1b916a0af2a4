package dev.mtl.core.text;

import dev.mtl.core.engine.ParameterFile;
import dev.mtl.core.model.TransformerShape;
import java.util.Map;

/**
 * A pretrained transformer that mtl's own {@link dev.mtl.core.model.Layer.Transformer} fine-tunes
 * ({@code model.pretrained-encoder} with {@code mode: fine-tune}): its sizes, its weights under
 * HuggingFace BertModel's names, and the tokenizer whose ids it reads, which replaces the run's
 * {@code tokenizer}.
 *
 * @param weights the pretrained weights; empty when restoring a saved model, whose folder has the trained ones
 * @param trainLayers how many of the top blocks train: {@code shape.layers()} for all (and the
 *     embeddings), 0 for none
 * @param saved the encoder's settings as a model folder keeps them: enough to rebuild the graph and
 *     the tokenizer from the folder alone, without the original files
 */
public record TrainableEncoder(TransformerShape shape, Map<String, ParameterFile.Tensor> weights, TextEncoderFactory tokenizer,
    int trainLayers, Map<String, Object> saved) {}
