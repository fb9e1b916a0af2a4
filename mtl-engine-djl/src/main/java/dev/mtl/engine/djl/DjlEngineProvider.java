package dev.mtl.engine.djl;

import ai.djl.Device;
import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.spi.EngineProvider;
import java.util.Set;

/**
 * The {@code djl-pytorch} engine. Settings: {@code device} ({@code cpu}, {@code gpu} or {@code
 * auto}: the GPU when DJL finds one, else the CPU; default {@code cpu}) and {@code threads}
 * (PyTorch's intra-op threads; by default one per core). Never downloads: DJL's offline mode is
 * switched on before the engine starts unless the user set it.
 */
@AutoService(EngineProvider.class)
public final class DjlEngineProvider implements EngineProvider {
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
    settings.source().throwIfInvalid();
    Offline.ensure();
    if (threads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    }
    ai.djl.engine.Engine engine = Offline.engine(DjlEngine.ENGINE);
    Device chosen = switch (device) {
      case "gpu" -> {
        if (engine.getGpuCount() == 0) {
          throw new IllegalStateException("`engine.device` is 'gpu' but DJL finds no GPU; use 'cpu' or 'auto'.");
        }
        yield Device.gpu();
      }
      case "auto" -> engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
      default -> Device.cpu();
    };
    return new DjlEngine(NAME, chosen);
  }
}
