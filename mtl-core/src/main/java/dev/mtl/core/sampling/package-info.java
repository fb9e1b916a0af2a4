/** Task sampling: which data sources train in each step. */
package dev.mtl.core.sampling;
