/** The engine SPI: networks built from model graphs, trained step by step, saved and loaded. */
package dev.mtl.core.engine;
