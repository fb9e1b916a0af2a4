/** Files written so that a crash or a kill never leaves half of one: atomic files and directories. */
package dev.mtl.core.io;
