package dev.mtl.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.engine.Network;
import dev.mtl.core.engine.NetworkSpec;
import dev.mtl.core.engine.OptimizerSettings;
import dev.mtl.core.engine.SourceBatch;
import dev.mtl.core.engine.StepResult;
import dev.mtl.core.engine.TrainStep;
import dev.mtl.core.model.ModelGraph;
import dev.mtl.core.model.ParameterOwner;
import dev.mtl.core.spi.SharingStrategyProvider;
import dev.mtl.core.weighting.GradientNeed;
import dev.mtl.core.weighting.GramianChoice;
import dev.mtl.core.weighting.LossWeighting;
import dev.mtl.engine.pytorch.PyTorchEngineProvider;
import dev.mtl.testkit.TestEngine;
import dev.mtl.testkit.TestWeightings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What each built-in strategy shares, as the graph derives it, and that gradient-based weighting
 * trains on every strategy that shares something, at both levels where the graph allows them.
 */
class SharedPartsTest {
  @RegisterExtension
  static final TestEngine engine = new TestEngine(new PyTorchEngineProvider());

  private static ModelGraph graph(SharingStrategyProvider provider, Map<String, Object> settings) {
    return SharingMechanicsTest.describe(provider, settings);
  }

  @Test
  @DisplayName("each strategy's shared representation and shared parameters follow from its graph")
  void sharedParts() {
    ModelGraph hard = graph(new HardSharing(), Map.of());
    assertThat(hard.sharedRepresentation()).contains(HardSharing.POOL);
    assertThat(hard.sharedParameters()).extracting(ParameterOwner::id).containsExactly("shared.embedding", "shared.encoder");

    ModelGraph soft = graph(new SoftSharing(), Map.of());
    assertThat(soft.sharedRepresentation()).contains("shared.embedding");
    assertThat(soft.sharedParameters()).extracting(ParameterOwner::id).containsExactly("shared.embedding");
    ModelGraph separate = graph(new SoftSharing(), Map.of("share-embedding", false));
    assertThat(separate.sharedRepresentation()).isEmpty();
    assertThat(separate.sharedParameters()).isEmpty();

    ModelGraph sharedPrivate = graph(new SharedPrivateSharing(), Map.of());
    assertThat(sharedPrivate.sharedRepresentation()).contains("shared.embedding");
    assertThat(sharedPrivate.sharedParameters()).extracting(ParameterOwner::id).containsExactly("shared.embedding", "shared.encoder");
    // Above the embedding a task's loss still reaches the shared base W of its W + W_t.
    assertThat(sharedPrivate.parametersAbove("a", "shared.embedding")).extracting(ParameterOwner::id)
        .contains("shared.encoder", "private.a.encoder", "a").doesNotContain("shared.embedding", "private.b.encoder");

    ModelGraph crossStitch = graph(new CrossStitchSharing(), Map.of());
    assertThat(crossStitch.sharedParameters()).extracting(ParameterOwner::id).contains("shared.embedding", "stitch1", "column.a.layer1.encoder");

    ModelGraph hierarchical = graph(new HierarchicalSharing(), Map.of("layers", 2, "depth", Map.of("a", 1, "b", 2)));
    assertThat(hierarchical.sharedRepresentation()).contains(HierarchicalSharing.encoderId(1));
    assertThat(graph(new MmoeSharing(), Map.of()).sharedRepresentation()).contains("shared.embedding");
    assertThat(graph(new PleSharing(), Map.of()).sharedRepresentation()).contains("shared.embedding");
    // Every MTAN path passes through the first shared layer: the tasks' attention chains and the stack above both read it.
    assertThat(graph(new MtanSharing(), Map.of()).sharedRepresentation()).contains("shared.layer1.encoder");
  }

  @Test
  @DisplayName("a Gramian-based weighting trains on every strategy with a shared part, at every level its graph allows")
  void gramianWeightingOnEveryStrategy() {
    List<SharingStrategyProvider> providers = List.of(new HardSharing(), new SoftSharing(), new SharedPrivateSharing(),
        new HierarchicalSharing(), new CrossStitchSharing(), new MmoeSharing(), new CgcSharing(), new PleSharing(), new MtanSharing(), new DSelectKSharing(),
        new LearningToBranchSharing());
    List<SourceBatch> batches = SharingMechanicsTest.batches(3, 3);
    for (SharingStrategyProvider provider : providers) {
      Map<String, Object> settings = provider instanceof HierarchicalSharing ? Map.of("layers", 2, "depth", Map.of("a", 1, "b", 2)) : Map.of();
      ModelGraph graph = graph(provider, settings);
      for (GradientNeed need : List.of(GradientNeed.GRAMIAN_ON_REPRESENTATION, GradientNeed.GRAMIAN_ON_PARAMETERS)) {
        assertThat(GramianChoice.problem(need, graph, List.of(List.of("a", "b")))).as(provider.name() + " " + need).isEmpty();
        try (Network network = engine.create(new NetworkSpec(graph, 25, 0), new OptimizerSettings("adam", 0.01), 1)) {
          for (int step = 0; step < batches.size(); step++) {
            StepResult result = network.trainStep(new TrainStep(List.of(batches.get(step)), inverseNorms(need), step, 0, 0.01,
                GradientNeed.LOSSES_ONLY));
            double[][] g = result.gramian().orElseThrow();
            assertThat(g[0][0]).as(provider.name() + " " + need).isPositive();
            assertThat(g[1][1]).isPositive();
            assertThat(result.totalLoss()).isFinite();
            assertThat(result.cosines().get("a~b")).isBetween(-1.0, 1.0);
          }
        }
      }
    }
  }

  /** Weights 1/‖g_t‖, so every step depends on the Gramian. */
  private static LossWeighting inverseNorms(GradientNeed need) {
    return TestWeightings.needing(need, input -> {
      double[][] g = input.gramian().orElseThrow();
      return new double[] {1 / Math.sqrt(g[0][0]), 1 / Math.sqrt(g[1][1])};
    });
  }
}
