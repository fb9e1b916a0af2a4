/**
 * The service provider interfaces third parties implement. Every provider is a {@link
 * dev.mtl.core.spi.Plugin} with a unique name per kind, registered for {@link java.util.ServiceLoader}
 * (most easily with Google AutoService) and found by the plugin registry ({@code dev.mtl.core.registry}).
 */
package dev.mtl.core.spi;
