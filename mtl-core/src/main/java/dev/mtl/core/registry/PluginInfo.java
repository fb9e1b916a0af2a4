package dev.mtl.core.registry;

/**
 * A plugin found on the class path.
 *
 * @param kind what it provides
 * @param name the name configs use
 * @param description what it does, in one line (empty when the plugin does not say)
 * @param version the plugin's version (see {@link dev.mtl.core.spi.Plugin#version()})
 * @param className its implementation class
 * @param location the jar (or class folder) it was loaded from
 */
public record PluginInfo(PluginKind kind, String name, String description, String version, String className, String location) {}
