package dev.mtl.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Keeps the module boundaries of the design: only the engine knows DJL; plugins know only the core. */
class LayeringTest {
  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.mtl");

  /** ArchUnit reports every violating class and dependency in the failure message. */
  private static void assertHolds(ArchRule rule) {
    assertThatCode(() -> rule.check(CLASSES)).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("only the engine modules import DJL and TensorFlow")
  void onlyEnginesImportDjl() {
    assertHolds(noClasses().that().resideOutsideOfPackage("dev.mtl.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("ai.djl..", "org.tensorflow.."));
  }

  @Test
  @DisplayName("one runtime per module: the PyTorch engine, the TensorFlow engine and the pretrained encoders never use each other")
  void oneRuntimePerModule() {
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.engine.pytorch..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.mtl.engine.tensorflow..", "dev.mtl.engine.pretrained..", "org.tensorflow..", "ai.djl.tensorflow..",
            "ai.djl.onnxruntime..", "ai.djl.huggingface.."));
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.engine.tensorflow..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.mtl.engine.pytorch..", "dev.mtl.engine.pretrained..", "ai.djl.pytorch..", "ai.djl.onnxruntime..",
            "ai.djl.huggingface.."));
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.engine.pretrained..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.mtl.engine.pytorch..", "dev.mtl.engine.tensorflow..", "ai.djl.pytorch..", "ai.djl.tensorflow..",
            "org.tensorflow.."));
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.engine.djl..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.mtl.engine.pytorch..", "dev.mtl.engine.tensorflow..", "dev.mtl.engine.pretrained..", "dev.mtl.core.."));
  }

  @Test
  @DisplayName("mtl-core depends on no plugin module")
  void coreIsIndependent() {
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.core..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.tasks..", "dev.mtl.weighting..", "dev.mtl.sampling..", "dev.mtl.engine..", "dev.mtl.cli..")
        );
  }

  @Test
  @DisplayName("mtl-core's packages use each other in one direction only: no cycles")
  void corePackagesFreeOfCycles() {
    assertHolds(slices().matching("dev.mtl.core.(*)..").should().beFreeOfCycles());
  }

  @Test
  @DisplayName("plugin modules depend only on mtl-core, never on each other")
  void pluginsDependOnlyOnCore() {
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.sharing..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.tasks..", "dev.mtl.weighting..", "dev.mtl.engine.."));
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.tasks..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.weighting..", "dev.mtl.engine.."));
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.weighting..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.tasks..", "dev.mtl.engine.."));
    assertHolds(noClasses().that().resideInAPackage("dev.mtl.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.mtl.sharing..", "dev.mtl.tasks..", "dev.mtl.weighting.."));
  }
}
