/** Errors about data rows, naming file, line and value. */
package dev.mtl.core.data;
