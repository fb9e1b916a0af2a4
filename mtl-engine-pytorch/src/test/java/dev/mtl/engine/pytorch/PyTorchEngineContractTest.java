package dev.mtl.engine.pytorch;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.testkit.EngineContract;

/** The djl-pytorch engine meets the engine contract. */
class PyTorchEngineContractTest extends EngineContract {
  @Override
  protected Engine createEngine() {
    return new PyTorchEngineProvider().create(ConfigSection.empty("engine"));
  }
}
