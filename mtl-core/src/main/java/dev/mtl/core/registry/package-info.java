/** The plugin registry over ServiceLoader: lookup by kind and name, clear errors for unknown and duplicate names. */
package dev.mtl.core.registry;
