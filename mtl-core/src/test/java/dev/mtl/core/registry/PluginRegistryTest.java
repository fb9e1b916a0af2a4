package dev.mtl.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PluginRegistryTest {
  static class Hard implements SharingStrategyProvider {
    public String name() {
      return "hard";
    }

    public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
      return null;
    }
  }

  static class OtherHard extends Hard {}

  static class Soft extends Hard {
    @Override
    public String name() {
      return "soft";
    }
  }

  @Test
  @DisplayName("an unknown name fails listing what exists")
  void unknownNameListsAvailable() {
    PluginRegistry registry = PluginRegistry.of(new Hard(), new Soft());
    assertThatThrownBy(() -> registry.get(SharingStrategyProvider.class, "hrad"))
        .isInstanceOf(PluginException.class)
        .hasMessage("Unknown sharing strategy 'hrad'; available: [hard, soft]");
  }

  @Test
  @DisplayName("two plugins with one name fail naming both classes")
  void duplicateNamesNameBothClasses() {
    assertThatThrownBy(() -> PluginRegistry.of(new Hard(), new OtherHard()))
        .isInstanceOf(PluginException.class)
        .hasMessageContaining("Two sharing strategy plugins are named 'hard'")
        .hasMessageContaining(Hard.class.getName()).hasMessageContaining(OtherHard.class.getName());
  }

  @Test
  @DisplayName("a badly formed name is refused")
  void badNameRefused() {
    Hard shouting = new Hard() {
      @Override
      public String name() {
        return "Hard Sharing";
      }
    };
    assertThatThrownBy(() -> PluginRegistry.of(shouting)).hasMessageContaining("lower-case words");
  }

  @Test
  @DisplayName("describes each plugin with kind, name, class and location")
  void describes() {
    PluginRegistry registry = PluginRegistry.of(new Hard());
    assertThat(registry.describe()).singleElement().satisfies(info -> {
      assertThat(info.kind()).isEqualTo(PluginKind.SHARING);
      assertThat(info.name()).isEqualTo("hard");
      assertThat(info.className()).isEqualTo(Hard.class.getName());
      assertThat(info.location()).contains("test-classes");
    });
  }

}
