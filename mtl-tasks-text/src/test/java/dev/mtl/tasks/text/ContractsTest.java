package dev.mtl.tasks.text;

import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.spi.TextEncoderProvider;
import dev.mtl.testkit.TaskProviderContract;
import dev.mtl.testkit.TextEncoderContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** The built-in text plugins pass the same contracts as third-party ones. */
class ContractsTest {
  @Nested
  @DisplayName("text-classification, single-label (SST-2 dev)")
  class SingleLabel extends TaskProviderContract {
    @Override
    protected TaskProvider plugin() {
      return new TextClassificationProvider();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("train", SharedData.path("sentence-classic/stsa.binary.dev").toString(), "labels", List.of("negative", "positive"),
          "label-encoding", "index");
    }
  }

  @Nested
  @DisplayName("text-classification, multi-label (GoEmotions group dev)")
  class MultiLabel extends TaskProviderContract {
    @Override
    protected TaskProvider plugin() {
      return new TextClassificationProvider();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("format", "tsv", "multi-label", true, "label-encoding", "index",
          "labels", SharedData.path("goemotions/group/labels.txt").toString(),
          "train", SharedData.path("goemotions/group/dev.tsv").toString());
    }
  }

  @Nested
  @DisplayName("words tokenizer")
  class Words extends TextEncoderContract {
    @Override
    protected TextEncoderProvider plugin() {
      return new WordEncoderProvider();
    }
  }
}
