package dev.mtl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginPathTest {
  @TempDir Path dir;

  @Test
  @DisplayName("takes the jars of the installation's plugins/ folder, then MTL_PLUGIN_PATH's jars and folders")
  void collectsJars() throws Exception {
    Path home = Files.createDirectories(dir.resolve("home/plugins")).getParent();
    Files.createFile(home.resolve("plugins/b.jar"));
    Files.createFile(home.resolve("plugins/a.jar"));
    Files.createFile(home.resolve("plugins/README.md"));
    Path extra = Files.createDirectories(dir.resolve("extra"));
    Files.createFile(extra.resolve("c.jar"));
    Path single = Files.createFile(dir.resolve("d.jar"));
    List<Path> jars = PluginPath.jars(home.toString(), extra + ":" + single + ":");
    assertThat(jars).containsExactly(home.resolve("plugins/a.jar"), home.resolve("plugins/b.jar"), extra.resolve("c.jar"), single);
    assertThat(PluginPath.jars(null, null)).isEmpty();
  }

  @Test
  @DisplayName("an MTL_PLUGIN_PATH entry that is neither a jar nor a folder is an error naming it")
  void badEntry() {
    assertThatThrownBy(() -> PluginPath.jars(null, dir.resolve("missing.jar").toString()))
        .hasMessageContaining("MTL_PLUGIN_PATH names '" + dir.resolve("missing.jar") + "', which is neither a .jar file nor a folder");
  }

  @Test
  @DisplayName("no jars means mtl's own class loader")
  void noJarsNoLoader() {
    ClassLoader own = getClass().getClassLoader();
    assertThat(PluginPath.classLoader(List.of(), own)).isSameAs(own);
  }
}
