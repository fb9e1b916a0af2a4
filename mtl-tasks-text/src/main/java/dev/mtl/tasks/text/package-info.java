/** Text classification tasks, readers, the words tokenizer and classification metrics. */
package dev.mtl.tasks.text;
