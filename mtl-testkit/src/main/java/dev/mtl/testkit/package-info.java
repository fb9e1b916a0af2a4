/** Contract tests that plugin authors extend. */
package dev.mtl.testkit;
