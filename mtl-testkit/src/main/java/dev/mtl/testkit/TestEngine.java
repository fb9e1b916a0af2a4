package dev.mtl.testkit;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.engine.Engine;
import dev.mtl.core.engine.ForeignModel;
import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.spi.EngineProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An engine with default settings for a test class: started before its first test, closed after
 * its last. Register it as a static field and use it as the engine:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());
 * }</pre>
 */
public final class TestEngine implements Engine, BeforeAllCallback, AfterAllCallback {
  private final EngineProvider provider;
  private Engine engine;

  public TestEngine(EngineProvider provider) {
    this.provider = provider;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    engine = provider.create(ConfigSection.empty("engine"));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  private Engine engine() {
    if (engine == null) {
      throw new IllegalStateException("the test engine is not started: register it with @RegisterExtension on a static field");
    }
    return engine;
  }

  @Override
  public String name() {
    return engine().name();
  }

  @Override
  public Network create(NetworkSpec spec, OptimizerSettings optimizer, long seed) {
    return engine().create(spec, optimizer, seed);
  }

  @Override
  public Network load(NetworkSpec spec, Path directory) throws IOException {
    return engine().load(spec, directory);
  }

  @Override
  public Network startFrom(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path directory) throws IOException {
    return engine().startFrom(spec, optimizer, seed, directory);
  }

  @Override
  public Network resume(NetworkSpec spec, OptimizerSettings optimizer, long seed, Path checkpoint) throws IOException {
    return engine().resume(spec, optimizer, seed, checkpoint);
  }

  @Override
  public Optional<String> unsupported(ModelGraph graph) {
    return engine().unsupported(graph);
  }

  @Override
  public Network serve(ForeignModel model) throws IOException {
    return engine().serve(model);
  }

  @Override
  public String device() {
    return engine().device();
  }

  @Override
  public void close() {
    if (engine != null) {
      engine.close();
      engine = null;
    }
  }
}
