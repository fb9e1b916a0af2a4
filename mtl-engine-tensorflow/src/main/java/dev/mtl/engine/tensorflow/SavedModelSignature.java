package dev.mtl.engine.tensorflow;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How a SavedModel's signature maps onto mtl's tasks.
 *
 * @param key the signature, e.g. {@code serving_default}
 * @param input the signature input that takes token ids, {@code (batch, time)}
 * @param intInput true if that input is int32 rather than int64
 * @param outputs per task, the signature output holding its scores, {@code (batch, labels)}
 * @param logits true if the outputs are logits, to which mtl applies softmax (or, for the tasks in
 *     {@code multiLabel}, a sigmoid); false if they are already probabilities
 * @param multiLabel tasks whose labels are independent (sigmoid rather than softmax)
 */
record SavedModelSignature(String key, String input, boolean intInput, Map<String, String> outputs, boolean logits,
    Set<String> multiLabel) {
  SavedModelSignature {
    outputs = Map.copyOf(new LinkedHashMap<>(outputs));
    multiLabel = Set.copyOf(multiLabel);
  }
}
