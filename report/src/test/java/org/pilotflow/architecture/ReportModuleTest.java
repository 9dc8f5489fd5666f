package org.pilotflow.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The report module reads PilotFlow only through its public API: the run report must work for any application on
 * any engine node, so it may not lean on internals that change without notice. The command sits on the report.
 */
class ReportModuleTest {

    private static JavaClasses mainClasses;

    @BeforeAll
    static void importMainClasses() {
        mainClasses = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("org.pilotflow");
    }

    @Test
    void importSeesTheReportAndTheApi() {
        assertThat(mainClasses.contain("org.pilotflow.report.RunReport")).isTrue();
        assertThat(mainClasses.contain("org.pilotflow.cli.PilotFlowCommand")).isTrue();
        assertThat(mainClasses.contain("org.pilotflow.api.Session")).isTrue();
    }

    @Test
    void theReportUsesOnlyThePublicApiAndTheSharedModel() {
        classes().that().resideInAnyPackage("org.pilotflow.report..", "org.pilotflow.cli..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("org.pilotflow.report..",
                        "org.pilotflow.cli..", "org.pilotflow.api..", "org.pilotflow.model..", "org.jfree..",
                        "java..", "javax..", "org.slf4j..")
                .because("the report reads a session as any application would (Session, managers, units); what it"
                        + " misses belongs in org.pilotflow.api")
                .check(mainClasses);
    }

    @Test
    void theReportDoesNotKnowTheCommand() {
        noClasses().that().resideInAPackage("org.pilotflow.report..")
                .should().dependOnClassesThat().resideInAPackage("org.pilotflow.cli..")
                .because("the command line is one way to make a report; RunReport is the other")
                .check(mainClasses);
    }
}
