/** Guice bindings for applications composing mtl. */
package dev.mtl.core.inject;
