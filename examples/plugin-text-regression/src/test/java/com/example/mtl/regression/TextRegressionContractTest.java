package com.example.mtl.regression;

import dev.mtl.core.spi.TaskProvider;
import dev.mtl.testkit.TaskProviderContract;
import java.nio.file.Path;
import java.util.Map;

/** The plugin passes the same contract as mtl's built-in task types, on real SST-1 data. */
class TextRegressionContractTest extends TaskProviderContract {
  static Path sst1Dev() {
    return Path.of(System.getProperty("mtl.shared.data", "../../../shared/data"), "sentence-classic/stsa.fine.dev");
  }

  @Override
  protected TaskProvider plugin() {
    return new TextRegressionProvider();
  }

  @Override
  protected Map<String, Object> settings() {
    return Map.of("format", "label-text", "loss", "huber", "train", sst1Dev().toString());
  }
}
