/** Text encoders: text to token ids, fitted on training texts and saved with a model. */
package dev.mtl.core.text;
