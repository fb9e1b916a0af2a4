package dev.mtl.core.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TaskAffinityTest {
  @Test
  @DisplayName("groupings: the best split per group count, scored by the mean affinity each task gets from its group-mates")
  void groupings() {
    // a and b help each other, c and d help each other, across the pairs steps hurt.
    double[][] z = {
        {5, 4, -1, -1},
        {3, 5, -1, -2},
        {-1, -1, 5, 2},
        {-2, -1, 6, 5}};
    List<TaskAffinity.Grouping> best = TaskAffinity.groupings(List.of("a", "b", "c", "d"), z, 4);
    assertThat(best).hasSize(4);
    assertThat(best.get(1).groups()).isEqualTo(List.of(List.of("a", "b"), List.of("c", "d")));
    // a gets 3 from b, b gets 4 from a, c gets 6 from d, d gets 2 from c.
    assertThat(best.get(1).score()).isEqualTo((3 + 4 + 6 + 2) / 4.0);
    assertThat(best.get(3).groups()).hasSize(4);
    assertThat(best.get(3).score()).isZero();
    // One group: every task averages what the three others give it.
    double all = ((3 - 1 - 2) / 3.0 + (4 - 1 - 1) / 3.0 + (-1 - 1 + 6) / 3.0 + (-1 - 2 + 2) / 3.0) / 4;
    assertThat(best.get(0).score()).isCloseTo(all, Offset.offset(1e-12));
    // Three groups: keep the pair that gains most (c, d: 6 + 2), the others alone.
    assertThat(best.get(2).groups()).containsExactlyInAnyOrder(List.of("a"), List.of("b"), List.of("c", "d"));
  }
}
