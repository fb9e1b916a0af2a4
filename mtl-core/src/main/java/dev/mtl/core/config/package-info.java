/** Run configs: YAML read with the line of every property, typed sections that collect every problem. */
package dev.mtl.core.config;
