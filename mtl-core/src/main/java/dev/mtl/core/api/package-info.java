/** The embedding API: load a trained model and predict every task; atomic writes of model directories. */
package dev.mtl.core.api;
