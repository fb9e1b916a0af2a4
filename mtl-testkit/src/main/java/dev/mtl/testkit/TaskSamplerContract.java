package dev.mtl.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.SamplingStep;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of a task sampler: every step names at least one source, each at most once, all in
 * range; the same step always gives the same answer (samplers keep no state, so a resumed run
 * draws what an uninterrupted one draws); never more sources than {@link TaskSampler#mostSourcesPerStep}
 * declares (the checks before training trust it); a default epoch length of at least one step.
 */
public abstract class TaskSamplerContract extends PluginContract<TaskSamplerProvider> {
  /** Settings of a valid sampler; empty by default. */
  protected Map<String, Object> settings() {
    return Map.of();
  }

  @Override
  protected final Class<TaskSamplerProvider> pluginInterface() {
    return TaskSamplerProvider.class;
  }

  protected TaskSampler create() {
    ConfigSection section = ConfigSection.of("contract", Path.of("."), settings());
    TaskSampler sampler = plugin().create(section);
    assertThat(section.source().problems()).isEmpty();
    return sampler;
  }

  @Test
  @DisplayName("names distinct, valid sources every step, the same ones for the same step, no more than it declares")
  void validAndRepeatable() {
    TaskSampler sampler = create();
    TaskSampler again = create();
    List<List<String>> sources = List.of(List.of("a"), List.of("b", "c"), List.of("d"));
    int[] sizes = {50_000, 800, 6_000};
    for (long step = 0; step < 500; step++) {
      SamplingStep s = new SamplingStep(step, 500, sources, sizes, 7);
      int[] chosen = sampler.sources(s);
      assertThat(chosen).isNotEmpty().doesNotHaveDuplicates();
      assertThat(Arrays.stream(chosen).allMatch(i -> i >= 0 && i < sizes.length)).isTrue();
      assertThat(again.sources(s)).containsExactly(chosen);
      assertThat(chosen.length).isLessThanOrEqualTo(sampler.mostSourcesPerStep(sizes.length));
    }
    assertThat(sampler.defaultStepsPerEpoch(new int[] {1563, 25, 188})).isPositive();
    assertThat(sampler.sources(new SamplingStep(3, 10, List.of(List.of("only")), new int[] {9}, 1))).containsExactly(0);
  }
}
