package dev.mtl.sharing;

import dev.mtl.core.model.EncoderKind;
import dev.mtl.core.model.ModelSpec;
import dev.mtl.core.model.PoolKind;
import dev.mtl.core.model.TransformerShape;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.testkit.SharingStrategyContract;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/** Every built-in strategy passes the same contract as third-party ones. */
class StrategyContractsTest {
  @Nested
  @DisplayName("soft")
  class Soft extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new SoftSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("lambda", -1, "distance", "manhattan");
    }
  }

  @Nested
  @DisplayName("soft, separate embeddings, distance to the mean")
  class SoftToMean extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new SoftSharing();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("share-embedding", false, "distance", "mean", "lambda", 0.1);
    }
  }

  @Nested
  @DisplayName("adapters, in a small transformer")
  class Adapters extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new AdapterSharing();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("size", 4);
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("size", 0);
    }

    @Override
    protected ModelSpec model(EncoderKind encoder, PoolKind pooling) {
      return super.model(encoder, pooling).withTransformer(new TransformerShape(30, 16, 2, 2, 32, 16, 2, 1e-12), 2);
    }
  }

  @Nested
  @DisplayName("shared-private")
  class SharedPrivate extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new SharedPrivateSharing();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("private", List.of("embedding", "encoder"), "private-penalty", 0.01);
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("private", List.of("heads"));
    }
  }

  @Nested
  @DisplayName("hierarchical")
  class Hierarchical extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new HierarchicalSharing();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("layers", 3, "depth", Map.of("sentiment", 1, "topics", 2), "feed-labels", List.of("sentiment", "topics"));
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("depth", Map.of("sentiment", 4, "nosuchtask", 1));
    }

    @Override
    protected Set<EncoderKind> supportedEncoders() {
      return EnumSet.of(EncoderKind.CNN, EncoderKind.BILSTM);
    }
  }

  @Nested
  @DisplayName("cross-stitch")
  class CrossStitch extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new CrossStitchSharing();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("layers", 2);
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("self-weight", 1.5);
    }
  }

  @Nested
  @DisplayName("mmoe")
  class Mmoe extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new MmoeSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("experts", 1);
    }
  }

  @Nested
  @DisplayName("asp")
  class Asp extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new AdversarialSharedPrivateSharing();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("adversarial-weight", 0.1, "orthogonality-weight", 0.02);
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("adversarial-weight", -1);
    }
  }

  @Nested
  @DisplayName("cgc")
  class Cgc extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new CgcSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("task-experts", 0);
    }
  }

  @Nested
  @DisplayName("ple")
  class Ple extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new PleSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("levels", 0);
    }
  }

  @Nested
  @DisplayName("mtan")
  class Mtan extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new MtanSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("layers", 5);
    }

    @Override
    protected Set<EncoderKind> supportedEncoders() {
      return EnumSet.of(EncoderKind.CNN, EncoderKind.BILSTM);
    }
  }

  @Nested
  @DisplayName("dselect-k")
  class DSelectK extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new DSelectKSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("experts", 6);
    }
  }

  @Nested
  @DisplayName("learning-to-branch")
  class LearningToBranch extends SharingStrategyContract {
    @Override
    protected SharingStrategyProvider plugin() {
      return new LearningToBranchSharing();
    }

    @Override
    protected Map<String, Object> invalidSettings() {
      return Map.of("layers", 1);
    }
  }
}
