/** Built-in task samplers; see the module README. */
package dev.mtl.sampling;
