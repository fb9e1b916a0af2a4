package dev.mtl.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.engine.djl.DjlRuntime;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs model graphs on DJL's PyTorch engine. PyTorch starts when the first network is built or
 * loaded, so creating this object (e.g. to validate a config) costs nothing.
 */
final class PyTorchEngine implements Engine {
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
  PyTorchEngine(String name, String deviceChoice, int threads) {
    this.name = name;
    this.deviceChoice = deviceChoice;
    this.threads = threads;
  }

  private synchronized NDManager manager() {
    if (manager == null) {
      DjlRuntime.ensureOffline();
      ai.djl.engine.Engine engine = DjlRuntime.engine(ENGINE);
      if (threads > 0) {
        // Set here rather than through DJL's ai.djl.pytorch.num_threads, which DJL reads once, when
        // PyTorch starts: ONNX Runtime's engine (a pretrained encoder) starts PyTorch earlier as its
        // helper, and the setting was lost. PyTorch applies it to this thread now and to any other
        // thread when that thread first runs a parallel op.
        JniUtils.setNumThreads(threads);
      }
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
  public Network create(NetworkSpec spec, OptimizerSettings optimizer, long seed) {
    NDManager root = manager();
    // Seeds dropout; parameters are initialised from a Java generator with the same seed.
    ai.djl.engine.Engine.getEngine(ENGINE).setRandomSeed((int) seed);
    return PyTorchNetwork.create(root, spec, optimizer, seed);
  }

  @Override
  public Network load(NetworkSpec spec, Path directory) throws IOException {
    return PyTorchNetwork.load(manager(), spec, directory);
  }

  @Override
  public Network startFrom(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path directory) throws IOException {
    return PyTorchNetwork.startFrom(manager(), spec, optimizer, seed, directory);
  }

  @Override
  public Network resume(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path checkpoint) throws IOException {
    return PyTorchNetwork.resume(manager(), spec, optimizer, seed, checkpoint);
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
