/** Benchmarks that print figures for the docs; run through the scripts in {@code bench/}. */
package dev.mtl.bench;
