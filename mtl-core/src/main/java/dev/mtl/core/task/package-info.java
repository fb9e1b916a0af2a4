/** Tasks: what a head outputs, how data is read, decoded and evaluated. */
package dev.mtl.core.task;
