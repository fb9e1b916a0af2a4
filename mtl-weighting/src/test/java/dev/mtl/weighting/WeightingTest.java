package dev.mtl.weighting;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.LossWeightingProvider;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.core.weighting.WeightingInput;
import dev.mtl.testkit.LossWeightingContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class WeightingTest {
  private static final List<String> TASKS = List.of("a", "b", "c");

  private static double[] weights(LossWeighting w) {
    return w.weights(new WeightingInput(0, 0, TASKS, new double[] {1, 2, 3}, Optional.empty()));
  }

  @Nested
  class Equal extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new EqualWeighting();
    }

    @Test
    @DisplayName("gives every task weight 1")
    void allOnes() {
      assertThat(weights(create())).containsExactly(1, 1, 1);
    }
  }

  @Nested
  class Fixed extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new FixedWeighting();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("weights", Map.of("a", 0.5, "c", 2.0), "default", 0.25);
    }

    @Test
    @DisplayName("gives listed tasks their λ and the others the default")
    void listedAndDefault() {
      assertThat(weights(create())).containsExactly(0.5, 0.25, 2.0);
    }

    @Test
    @DisplayName("rejects a weight for a task the run does not have, and a negative weight")
    void rejectsUnknownTaskAndNegative() {
      ConfigSection section = ConfigSection.of("run.yaml", Path.of("."), Map.of("weights", Map.of("x", 1.0, "a", -1.0)));
      new FixedWeighting().create(section, TASKS);
      assertThat(section.source().problems()).extracting(p -> p.message())
          .anySatisfy(m -> assertThat(m).startsWith("`weights.x` was '1.0' but it must name a task of this run; tasks: [a, b, c]"))
          .anySatisfy(m -> assertThat(m).startsWith("`weights.a` was '-1.0' but it must not be negative"));
    }
  }

  @Nested
  class Uncertainty extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new UncertaintyWeighting();
    }
  }

  @Nested
  class Dwa extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new DwaWeighting();
    }
  }

  @Nested
  class Rlw extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new RlwWeighting();
    }
  }

  @Nested
  class Gls extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new GlsWeighting();
    }
  }

  @Nested
  class GradNorm extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new GradNormWeighting();
    }
  }

  @Nested
  class Mgda extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new MgdaWeighting();
    }
  }

  @Nested
  class PcGrad extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new PcGradWeighting();
    }

    @Override
    protected boolean promisesNonNegativeWeights() {
      return false;
    }
  }

  @Nested
  class CaGrad extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new CaGradWeighting();
    }
  }

  @Nested
  class ImtlG extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ImtlGWeighting();
    }

    @Override
    protected boolean promisesNonNegativeWeights() {
      return false;
    }
  }

  @Nested
  class NashMtl extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new NashMtlWeighting();
    }
  }

  @Nested
  class AlignedMtl extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new AlignedMtlWeighting();
    }

    @Override
    protected boolean promisesNonNegativeWeights() {
      return false;
    }
  }

  @Nested
  class UpGrad extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new UpGradWeighting();
    }
  }

  @Nested
  class DualProj extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new DualProjWeighting();
    }
  }

  @Nested
  class Krum extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new KrumWeighting();
    }

    @Test
    @DisplayName("refuses fewer than byzantine + 3 tasks, naming the setting")
    void tooFewTasks() {
      ConfigSection section = ConfigSection.of("run", Path.of("."), Map.of("byzantine", 1));
      new KrumWeighting().create(section, List.of("a", "b", "c"));
      assertThat(section.source().problems()).singleElement().satisfies(p -> assertThat(p.message()).contains("byzantine", "needs at least"));
    }
  }

  @Nested
  class GradVac extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new GradVacWeighting();
    }

    @Override
    protected boolean promisesNonNegativeWeights() {
      return false;
    }
  }

  @Nested
  class ImtlL extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ImtlLWeighting();
    }
  }

  @Nested
  class Imtl extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ImtlWeighting();
    }

    @Override
    protected boolean promisesNonNegativeWeights() {
      return false;
    }
  }

  @Nested
  class Config extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ConfigWeighting();
    }

    @Override
    protected boolean promisesNonNegativeWeights() {
      return false;
    }
  }

  @Nested
  class Famo extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new FamoWeighting();
    }
  }

  @Nested
  class FairGrad extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new FairGradWeighting();
    }
  }

  @Nested
  class Stch extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new StchWeighting();
    }
  }

  @Nested
  class SdmGrad extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new SdmGradWeighting();
    }
  }

  @Nested
  class DbMtl extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new DbMtlWeighting();
    }
  }

  @Nested
  class Modo extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ModoWeighting();
    }
  }

  @Nested
  class Moco extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new MocoWeighting();
    }
  }

  @Nested
  class GradDrop extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new GradDropWeighting();
    }
  }

  @Nested
  class TrimmedMean extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new TrimmedMeanWeighting();
    }
  }

  @Nested
  class ExcessMtl extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ExcessMtlWeighting();
    }
  }

  @Nested
  class AutoLambda extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new AutoLambdaWeighting();
    }
  }

  @Nested
  class AutoLambdaWithPrimary extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new AutoLambdaWeighting();
    }

    @Override
    protected Map<String, Object> settings() {
      return Map.of("primary", List.of("a"), "learning-rate", 0.01);
    }
  }

  @Nested
  class Moml extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new MomlWeighting();
    }
  }

  @Nested
  class Forum extends LossWeightingContract {
    @Override
    protected LossWeightingProvider plugin() {
      return new ForumWeighting();
    }
  }
}
