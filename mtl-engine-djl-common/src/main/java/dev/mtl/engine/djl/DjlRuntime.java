package dev.mtl.engine.djl;

import ai.djl.engine.Engine;
import java.nio.file.Path;

/**
 * What every mtl module on DJL sets up the same way: DJL kept off the network (without these
 * switches it reports telemetry at start and downloads natives it cannot find; the launcher and
 * the build set them too, this covers applications that embed mtl and forget), its engines
 * started with an error that names the jars they need, and the folder where it keeps natives.
 */
public final class DjlRuntime {
  private DjlRuntime() {}

  /** Turns DJL's offline mode and telemetry opt-out on, unless the environment or a system property decided. */
  public static void ensureOffline() {
    if (System.getenv("DJL_OFFLINE") == null && System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }

  /** The named DJL engine, or an error that says which jars bring its natives. */
  public static Engine engine(String name) {
    try {
      return Engine.getEngine(name);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("DJL cannot start its " + name + " engine offline: " + e.getMessage()
          + ". Its native jars must be on the class path: mtl-engine-pytorch brings PyTorch's, mtl-engine-tensorflow "
          + "TensorFlow's, mtl-engine-pretrained ONNX Runtime's.", e);
    }
  }

  /** Where DJL keeps engine natives: ENGINE_CACHE_DIR, else DJL_CACHE_DIR, else ~/.djl.ai. */
  public static Path cacheRoot() {
    for (String key : new String[] {"ENGINE_CACHE_DIR", "DJL_CACHE_DIR"}) {
      String value = System.getProperty(key, System.getenv(key));
      if (value != null && !value.isBlank()) {
        return Path.of(value);
      }
    }
    return Path.of(System.getProperty("user.home"), ".djl.ai");
  }
}
