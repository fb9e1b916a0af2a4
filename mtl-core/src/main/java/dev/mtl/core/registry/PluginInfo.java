package dev.mtl.core.registry;

/**
 * A plugin found on the class path.
 *
 * @param kind what it provides
 * @param name the name configs use
 * @param className its implementation class
 * @param location the jar (or class folder) it was loaded from
 */
public record PluginInfo(PluginKind kind, String name, String className, String location) {}
