package dev.mtl.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Keeps the module boundaries of the design: only the engine knows DJL; plugins know only the core. */
class LayeringTest {
  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.mtl");

  @Test
  @DisplayName("only mtl-engine-djl imports DJL")
  void onlyEngineImportsDjl() {
    noClasses().that().resideOutsideOfPackage("dev.mtl.engine.djl..")
        .should().dependOnClassesThat().resideInAPackage("ai.djl..").check(CLASSES);
  }

  @Test
  @DisplayName("mtl-core depends on no plugin module")
  void coreIsIndependent() {
    noClasses().that().resideInAPackage("dev.mtl.core..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.tasks..", "dev.mtl.weighting..", "dev.mtl.engine..", "dev.mtl.cli..")
        .check(CLASSES);
  }

  @Test
  @DisplayName("plugin modules depend only on mtl-core, never on each other")
  void pluginsDependOnlyOnCore() {
    noClasses().that().resideInAPackage("dev.mtl.sharing..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.tasks..", "dev.mtl.weighting..", "dev.mtl.engine..").check(CLASSES);
    noClasses().that().resideInAPackage("dev.mtl.tasks..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.weighting..", "dev.mtl.engine..").check(CLASSES);
    noClasses().that().resideInAPackage("dev.mtl.weighting..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.tasks..", "dev.mtl.engine..").check(CLASSES);
    noClasses().that().resideInAPackage("dev.mtl.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.tasks..", "dev.mtl.weighting..").check(CLASSES);
  }
}
