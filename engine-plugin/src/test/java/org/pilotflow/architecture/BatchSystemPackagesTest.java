package org.pilotflow.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.config.BatchSystemCatalog;
import org.pilotflow.resource.config.BatchSystemProvider;

/**
 * Adding a batch system is one package and one services line (DESIGN.md, Extension points): each installed
 * system's package uses only the shared batch API (resource, resource.batch, resource.config, resource.shell, the
 * shared model) and libraries, never another system's package; and no other code names a system's package (the
 * ServiceLoader does). The packages are the installed systems' own, found through the service file.
 */
class BatchSystemPackagesTest {

    private static final String[] SHARED_BATCH_API = {"org.pilotflow.resource", "org.pilotflow.resource.batch",
            "org.pilotflow.resource.config", "org.pilotflow.resource.shell", "org.pilotflow.model.."};
    private static final String[] LIBRARIES = {"java..", "javax..", "org.slf4j..", "com.fasterxml.jackson..",
            "org.w3c..", "org.xml.."};

    private static JavaClasses mainClasses;
    private static List<String> systemPackages;

    @BeforeAll
    static void importMainClasses() {
        mainClasses = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("org.pilotflow");
        systemPackages = BatchSystemCatalog.installed().providers().stream()
                .map(BatchSystemProvider::getClass).map(Class::getPackageName).distinct().toList();
    }

    /** Guards against rules that pass because they looked at nothing. */
    @Test
    void theInstalledSystemsHaveAPackageEachWithClassesInIt() {
        assertThat(systemPackages).containsExactly("org.pilotflow.resource.slurm", "org.pilotflow.resource.sge",
                "org.pilotflow.resource.pbs", "org.pilotflow.resource.lsf");
        for (String p : systemPackages) {
            assertThat(mainClasses.stream().filter(c -> c.getPackageName().equals(p))).as(p).isNotEmpty();
        }
    }

    @Test
    void aBatchSystemPackageDependsOnlyOnTheSharedBatchApi() {
        for (String p : systemPackages) {
            String[] allowed = concat(new String[] {p}, SHARED_BATCH_API, LIBRARIES);
            classes().that().resideInAPackage(p)
                    .should().onlyDependOnClassesThat().resideInAnyPackage(allowed)
                    .because("a batch system is one package on the shared batch API (BatchSystem, JobScript, "
                            + "JobManagerCommands, ...); move what two systems share into org.pilotflow.resource.batch")
                    .check(mainClasses);
        }
    }

    @Test
    void nothingElseNamesABatchSystemPackage() {
        for (String p : systemPackages) {
            noClasses().that().resideOutsideOfPackage(p)
                    .should().dependOnClassesThat().resideInAPackage(p)
                    .because("batch systems are found through META-INF/services/" + BatchSystemProvider.class.getName()
                            + " and declare what they offer in their BatchSystemInfo; code that names one by class "
                            + "would make adding a system more than one package")
                    .check(mainClasses);
        }
    }

    /** The declaration is what the engine says; the agent must read what it says. */
    @Test
    void everyDeclaredNodeListFormatIsOneTheAgentReads() {
        assertThat(BatchSystemCatalog.installed().providers()).hasSize(4).allSatisfy(p -> assertThat(
                org.pilotflow.agent.nodes.NodeListFormats.NAMES).as(p.info().name() + "'s node list")
                .contains(p.info().nodeList().format()));
    }

    private static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
