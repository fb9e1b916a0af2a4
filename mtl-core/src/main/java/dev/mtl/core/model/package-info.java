/** Engine-neutral network descriptions that sharing strategies build and engines lower. */
package dev.mtl.core.model;
