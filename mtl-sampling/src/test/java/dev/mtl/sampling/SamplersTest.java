package dev.mtl.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.sampling.SamplingStep;
import dev.mtl.core.sampling.TaskSampler;
import dev.mtl.core.spi.TaskSamplerProvider;
import dev.mtl.testkit.TaskSamplerContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Each sampler's empirical source frequencies over many draws match its formula. */
class SamplersTest {
  private static final List<List<String>> SOURCES = List.of(List.of("sst2"), List.of("subj"), List.of("trec"));
  private static final int[] SIZES = {6920, 10000, 5452};
  private static final int DRAWS = 60_000;

  private static TaskSampler create(TaskSamplerProvider provider, Map<String, Object> settings) {
    ConfigSection section = ConfigSection.of("run.yaml", Path.of("."), settings);
    TaskSampler sampler = provider.create(section);
    assertThat(section.source().problems()).isEmpty();
    return sampler;
  }

  /** Frequencies over steps [from, to) of a run of {@code total} steps. */
  private static double[] frequencies(TaskSampler sampler, long from, long to, long total) {
    double[] counts = new double[SIZES.length];
    for (long step = from; step < to; step++) {
      for (int s : sampler.sources(new SamplingStep(step, total, SOURCES, SIZES, 42))) {
        counts[s] += 1.0 / (to - from);
      }
    }
    return counts;
  }

  /** p_i ∝ n_i^exponent. */
  private static double[] powerLaw(double exponent) {
    return PowerLaw.probabilities(SIZES, exponent);
  }

  /** Within 4 standard errors of a binomial proportion over {@code draws}. */
  private static void assertMatches(double[] observed, double[] expected, int draws) {
    for (int i = 0; i < expected.length; i++) {
      double se = Math.sqrt(expected[i] * (1 - expected[i]) / draws);
      assertThat(observed[i]).as("source %d", i).isCloseTo(expected[i], within(4 * se + 1e-12));
    }
  }

  @Test
  @DisplayName("all: every source every step; an epoch is one pass over the largest source")
  void all() {
    TaskSampler sampler = create(new AllSampler(), Map.of());
    assertThat(frequencies(sampler, 0, 100, 100)).containsExactly(new double[] {1, 1, 1}, within(1e-12));
    assertThat(sampler.defaultStepsPerEpoch(new int[] {217, 313, 171})).isEqualTo(313);
  }

  @Test
  @DisplayName("round-robin: sources in turn; an epoch is one pass over every source")
  void roundRobin() {
    TaskSampler sampler = create(new RoundRobinSampler(), Map.of());
    for (long step = 0; step < 9; step++) {
      assertThat(sampler.sources(new SamplingStep(step, 9, SOURCES, SIZES, 1))).containsExactly((int) (step % 3));
    }
    assertThat(sampler.defaultStepsPerEpoch(new int[] {217, 313, 171})).isEqualTo(701);
  }

  @Test
  @DisplayName("proportional, uniform and temperature: frequencies match p ∝ n, 1/S and n^(1/T)")
  void powerLaws() {
    assertMatches(frequencies(create(new ProportionalSampler(), Map.of()), 0, DRAWS, DRAWS), powerLaw(1), DRAWS);
    assertMatches(frequencies(create(new UniformSampler(), Map.of()), 0, DRAWS, DRAWS), new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, DRAWS);
    assertMatches(frequencies(create(new TemperatureSampler(), Map.of("temperature", 3.0)), 0, DRAWS, DRAWS), powerLaw(1 / 3.0), DRAWS);
    // p ∝ n: 6920 / 22372 by hand.
    assertThat(powerLaw(1)[0]).isCloseTo(6920.0 / 22372, within(1e-12));
  }

  @Test
  @DisplayName("annealed: proportional at the start, n^final-exponent at the end")
  void annealed() {
    TaskSampler sampler = create(new AnnealedSampler(), Map.of("final-exponent", 0.0));
    long total = 1_000_000;
    int window = 40_000;
    assertMatches(frequencies(sampler, 0, window, total), powerLaw(AnnealedSampler.exponent(window / 2.0 / total, 0)), window);
    assertMatches(frequencies(sampler, total - window, total, total), powerLaw(AnnealedSampler.exponent(1 - window / 2.0 / total, 0)), window);
    assertThat(AnnealedSampler.exponent(0, 0.2)).isEqualTo(1);
    assertThat(AnnealedSampler.exponent(1, 0.2)).isCloseTo(0.2, within(1e-12));
  }

  @Nested
  class All extends TaskSamplerContract {
    @Override
    protected TaskSamplerProvider plugin() {
      return new AllSampler();
    }
  }

  @Nested
  class RoundRobin extends TaskSamplerContract {
    @Override
    protected TaskSamplerProvider plugin() {
      return new RoundRobinSampler();
    }
  }

  @Nested
  class Proportional extends TaskSamplerContract {
    @Override
    protected TaskSamplerProvider plugin() {
      return new ProportionalSampler();
    }
  }

  @Nested
  class Temperature extends TaskSamplerContract {
    @Override
    protected TaskSamplerProvider plugin() {
      return new TemperatureSampler();
    }
  }

  @Nested
  class Uniform extends TaskSamplerContract {
    @Override
    protected TaskSamplerProvider plugin() {
      return new UniformSampler();
    }
  }

  @Nested
  class Annealed extends TaskSamplerContract {
    @Override
    protected TaskSamplerProvider plugin() {
      return new AnnealedSampler();
    }
  }
}
