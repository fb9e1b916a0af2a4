/** A saved model on disk: its manifest and the layout of its folder. */
package dev.mtl.core.store;
