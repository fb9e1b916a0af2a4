package dev.mtl.core.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TaskPredictionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  @DisplayName("as JSON a classification always has labels and scores, an empty label list included; a regression only its value")
  void json() throws Exception {
    Map<String, Double> scores = new LinkedHashMap<>();
    scores.put("joy", 0.2);
    scores.put("anger", 0.1);
    assertThat(JSON.writeValueAsString(TaskPrediction.classification(List.of(), scores)))
        .isEqualTo("{\"labels\":[],\"scores\":{\"joy\":0.2,\"anger\":0.1}}");
    assertThat(JSON.writeValueAsString(TaskPrediction.classification(List.of("joy"), scores)))
        .isEqualTo("{\"labels\":[\"joy\"],\"scores\":{\"joy\":0.2,\"anger\":0.1}}");
    assertThat(JSON.writeValueAsString(TaskPrediction.regression(3.25))).isEqualTo("{\"value\":3.25}");
  }
}
