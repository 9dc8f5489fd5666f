package org.pilotflow.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine side is split by role (DESIGN.md, "The engine side"): each package may use only the ones below it.
 *
 * <pre>
 *   org.pilotflow.internal (the wiring: PilotFlowRuntime) - only the plugin uses it
 *     session (the API's implementation)   launch (launch worker, job control)   channel (agents' endpoint)
 *     watch (the cluster's periodic work)     data (the Data API's file moves; given a shell by session)
 *       lifecycle (the only code that changes pilot and unit states)     resources (adapters, SSH, configs)
 *         scheduling (pure)     store (tables, rows, migrations)
 * </pre>
 */
class EnginePackagesTest {

    private static final String ROOT = "org.pilotflow.internal";
    private static final String STORE = ROOT + ".store..";
    private static final String SCHEDULING = ROOT + ".scheduling..";
    private static final String LIFECYCLE = ROOT + ".lifecycle..";
    private static final String CHANNEL = ROOT + ".channel..";
    private static final String WATCH = ROOT + ".watch..";
    private static final String LAUNCH = ROOT + ".launch..";
    private static final String RESOURCES = ROOT + ".resources..";
    private static final String SESSION = ROOT + ".session..";
    private static final String DATA = ROOT + ".data..";

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("org.pilotflow");
    }

    private static void rule(String pkg, String why, String... forbidden) {
        ArchRule rule = noClasses().that().resideInAPackage(pkg)
                .should().dependOnClassesThat().resideInAnyPackage(forbidden)
                .because(why);
        rule.check(classes);
    }

    @Test
    void storeStandsOnItsOwn() {
        rule(STORE, "the store holds tables, rows and migrations; it knows no role above it",
                SCHEDULING, LIFECYCLE, CHANNEL, WATCH, LAUNCH, RESOURCES, SESSION);
    }

    @Test
    void schedulingIsPure() {
        rule(SCHEDULING, "scheduling decides from values it is given (no database, no engine), so it can be "
                + "unit-tested alone", STORE, LIFECYCLE, CHANNEL, WATCH, LAUNCH, RESOURCES, SESSION, "org.camunda..");
    }

    @Test
    void lifecycleKnowsNoCaller() {
        rule(LIFECYCLE, "the lifecycle is the only code that changes states; the channel, the watchdog, the launch"
                + " worker and the API call it, never the other way round", CHANNEL, WATCH, LAUNCH, RESOURCES,
                SESSION);
    }

    @Test
    void resourcesKnowNoEngineRole() {
        rule(RESOURCES, "resources are adapters and configurations; roles that need them depend on them",
                LIFECYCLE, CHANNEL, WATCH, LAUNCH, SESSION);
    }

    @Test
    void channelUsesOnlyLifecycleAndStore() {
        rule(CHANNEL, "the channel applies reports through the lifecycle and reads commands from the store",
                WATCH, LAUNCH, RESOURCES, SESSION);
    }

    @Test
    void watchUsesOnlyLifecycleAndStore() {
        rule(WATCH, "the watchdog changes states through the lifecycle; it reaches jobs through its Jobs"
                + " interface (implemented in launch) and agents' contacts through a predicate", CHANNEL, LAUNCH,
                RESOURCES, SESSION);
    }

    @Test
    void launchUsesNoApiNorChannel() {
        rule(LAUNCH, "the launch worker uses the lifecycle and the resources; the endpoints it hands agents come"
                + " in as a function", CHANNEL, SESSION);
    }

    @Test
    void sessionUsesNoChannelWatchNorLaunch() {
        rule(SESSION, "the API's implementation works through the lifecycle and the store; what it needs of the"
                + " node's threads comes in as callbacks", CHANNEL, WATCH, LAUNCH);
    }

    @Test
    void dataUsesNoEngineRole() {
        rule(DATA, "the Data API moves files through a resource shell it is handed; it changes no state and"
                + " reads no table", STORE, SCHEDULING, LIFECYCLE, CHANNEL, WATCH, LAUNCH, RESOURCES, SESSION,
                "org.camunda..");
    }

    @Test
    void nothingButThePluginUsesTheWiring() {
        ArchRule rule = noClasses().that().resideOutsideOfPackages("org.pilotflow.plugin..")
                .and().doNotHaveFullyQualifiedName(ROOT + ".PilotFlowRuntime")
                .and().resideOutsideOfPackage(ROOT)
                .should().dependOnClassesThat().resideInAPackage(ROOT)
                .because("PilotFlowRuntime wires the parts together; no part refers back to it (a class everything"
                        + " reaches into is what this layout replaced)");
        rule.check(classes);
    }

    @Test
    void apiReachesInternalsOnlyThroughTheSessionPackage() {
        rule("org.pilotflow.api..", "the public API's entry (Session) opens sessions through"
                + " org.pilotflow.internal.session only", ROOT, STORE, SCHEDULING, LIFECYCLE, CHANNEL, WATCH, LAUNCH,
                RESOURCES, DATA);
    }
}
