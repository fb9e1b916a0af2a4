package dev.mtl.engine.djl;

import ai.djl.engine.Engine;

/**
 * Keeps DJL off the network: without these switches DJL reports telemetry at start and downloads
 * natives it cannot find. The launcher and the build set them too; this covers applications that
 * embed mtl and forget.
 */
final class Offline {
  private Offline() {}

  static void ensure() {
    if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }

  /** The named DJL engine, or an error that says which jars bring its natives. */
  static Engine engine(String name) {
    try {
      return Engine.getEngine(name);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("DJL cannot start its " + name + " engine offline: " + e.getMessage()
          + ". The jars ai.djl.pytorch:pytorch-jni and ai.djl.pytorch:pytorch-native-cpu (classifier linux-x86_64) "
          + "must be on the class path; mtl-engine-djl brings both.", e);
    }
  }
}
