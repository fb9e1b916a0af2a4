package dev.mtl.engine.pytorch;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.spi.EngineProvider;
import java.util.Set;

/**
 * The {@code djl-pytorch} engine. Settings: {@code device} ({@code cpu}, {@code gpu}, or {@code
 * auto} for the GPU when DJL finds one; default {@code cpu}) and {@code threads} (PyTorch's
 * intra-op threads; default one per core). Never downloads: DJL's offline mode is switched on
 * before PyTorch starts unless the user set it.
 */
@AutoService(EngineProvider.class)
public final class PyTorchEngineProvider implements EngineProvider {
  public static final String NAME = "djl-pytorch";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "DJL with the PyTorch engine (CPU natives from Maven Central; GPU when present)";
  }

  @Override
  public Engine create(ConfigSection settings) {
    String device = settings.oneOf("device", "cpu", Set.of("cpu", "gpu", "auto"));
    int threads = settings.integer("threads", 0, 0, 1024);
    return new PyTorchEngine(NAME, device, threads);
  }
}
