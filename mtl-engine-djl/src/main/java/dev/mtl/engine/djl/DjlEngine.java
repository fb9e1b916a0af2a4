package dev.mtl.engine.djl;

import ai.djl.ndarray.NDManager;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.model.ModelGraph;
import java.io.IOException;
import java.nio.file.Path;

/** Runs model graphs on DJL's PyTorch engine. */
final class DjlEngine implements Engine {
  static final String ENGINE = "PyTorch";

  private final String name;
  private final ai.djl.Device device;
  private final NDManager manager;

  DjlEngine(String name, ai.djl.Device device) {
    this.name = name;
    this.device = device;
    this.manager = ai.djl.engine.Engine.getEngine(ENGINE).newBaseManager(device);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Network create(ModelGraph graph, int vocabularySize, int paddingId, OptimizerSettings optimizer, long seed) {
    // Seeds dropout; parameters are initialised from a Java generator with the same seed.
    ai.djl.engine.Engine.getEngine(ENGINE).setRandomSeed((int) seed);
    return new DjlNetwork(manager, graph, vocabularySize, paddingId, optimizer, seed);
  }

  @Override
  public Network load(ModelGraph graph, int vocabularySize, int paddingId, Path directory) throws IOException {
    DjlNetwork network = new DjlNetwork(manager, graph, vocabularySize, paddingId, null, 0);
    try {
      network.load(directory);
      return network;
    } catch (IOException | RuntimeException e) {
      network.close();
      throw e;
    }
  }

  @Override
  public String device() {
    return device.toString();
  }

  @Override
  public void close() {
    manager.close();
  }
}
