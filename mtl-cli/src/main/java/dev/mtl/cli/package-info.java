/** The mtl command line. */
package dev.mtl.cli;
