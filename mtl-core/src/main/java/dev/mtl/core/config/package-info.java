/**
 * Config machinery: YAML read with the line of every property, --set overrides, typed sections
 * that collect every problem. Knows nothing of what a run is (see {@code run}).
 */
package dev.mtl.core.config;
