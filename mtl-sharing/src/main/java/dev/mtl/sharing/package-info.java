/** Parameter-sharing strategies: plugins that describe, engine-neutrally, which parameters tasks share. */
package dev.mtl.sharing;
