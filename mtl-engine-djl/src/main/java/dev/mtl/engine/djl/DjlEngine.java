package dev.mtl.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.model.ModelGraph;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs model graphs on DJL's PyTorch engine. PyTorch starts when the first network is built or
 * loaded, so creating this object (e.g. to validate a config) costs nothing.
 */
final class DjlEngine implements Engine {
  static final String ENGINE = "PyTorch";

  private final String name;
  private final String deviceChoice;
  private final int threads;
  private Device device;
  private NDManager manager;

  /**
   * @param deviceChoice {@code cpu}, {@code gpu} or {@code auto}
   * @param threads PyTorch intra-op threads, 0 for PyTorch's default (one per core)
   */
  DjlEngine(String name, String deviceChoice, int threads) {
    this.name = name;
    this.deviceChoice = deviceChoice;
    this.threads = threads;
  }

  private synchronized NDManager manager() {
    if (manager == null) {
      Offline.ensure();
      if (threads > 0) {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      }
      ai.djl.engine.Engine engine = Offline.engine(ENGINE);
      device = chooseDevice(engine);
      manager = engine.newBaseManager(device);
    }
    return manager;
  }

  private Device chooseDevice(ai.djl.engine.Engine engine) {
    if (deviceChoice.equals("cpu")) {
      return Device.cpu();
    }
    boolean hasGpu = engine.getGpuCount() > 0;
    return switch (deviceChoice) {
      case "gpu" -> {
        if (!hasGpu) {
          throw new IllegalStateException("`engine.device` is 'gpu' but DJL finds no GPU; use 'cpu', or 'auto' to take a GPU only when present.");
        }
        yield Device.gpu();
      }
      case "auto" -> hasGpu ? Device.gpu() : Device.cpu();
      default -> Device.cpu();
    };
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Network create(ModelGraph graph, int vocabularySize, int paddingId, OptimizerSettings optimizer, long seed) {
    NDManager root = manager();
    // Seeds dropout; parameters are initialised from a Java generator with the same seed.
    ai.djl.engine.Engine.getEngine(ENGINE).setRandomSeed((int) seed);
    return DjlNetwork.create(root, graph, vocabularySize, paddingId, optimizer, seed);
  }

  @Override
  public Network load(ModelGraph graph, int vocabularySize, int paddingId, Path directory) throws IOException {
    return DjlNetwork.load(manager(), graph, vocabularySize, paddingId, directory);
  }

  @Override
  public Network resume(ModelGraph graph, int vocabularySize, int paddingId, OptimizerSettings optimizer, long seed, Path checkpoint)
      throws IOException {
    return DjlNetwork.resume(manager(), graph, vocabularySize, paddingId, optimizer, seed, checkpoint);
  }

  @Override
  public String device() {
    manager();
    return device.toString();
  }

  @Override
  public synchronized void close() {
    if (manager != null) {
      manager.close();
      manager = null;
    }
  }
}
