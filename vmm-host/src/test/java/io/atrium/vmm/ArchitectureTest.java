package io.atrium.vmm;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure of vmm-host (production classes only): feature packages without cycles,
 * a root package that needs none of them, and a machines contract that needs nothing of Atrium.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.atrium.vmm");
    }

    @Test
    void featurePackagesAreFreeOfCycles() {
        slices().matching("io.atrium.vmm.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theRootPackageDependsOnNoSubpackage() {
        noClasses().that().resideInAPackage("io.atrium.vmm")
                .should().dependOnClassesThat().resideInAPackage("io.atrium.vmm.*..")
                .check(classes);
    }

    @Test
    void theMachinesContractDependsOnNothingOfAtrium() {
        noClasses().that().resideInAPackage("io.atrium.vmm.api..")
                .should().dependOnClassesThat(
                        resideInAPackage("io.atrium..").and(not(resideInAPackage("io.atrium.vmm.api.."))))
                .check(classes);
    }
}
