package org.pilotflow.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.GeneralCodingRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Keeps the module arrows of DESIGN.md ("Modules") honest: bpmn and agent depend on nothing of ours, delegates on
 * the shared model, engine-plugin on delegates, examples on engine-plugin; the agent never needs Camunda.
 *
 * <p>engine-plugin's test classpath holds the main classes of agent, delegates, bpmn and engine-plugin, so this
 * one import sees every module except examples (which depends on engine-plugin and so cannot be on its
 * classpath; rule (d) still sees any reference <em>to</em> an examples class, because ArchUnit records the
 * target of every dependency by name). Test classes are left out: the rules are about shipped code.
 */
class ModuleDependenciesTest {

    private static final String AGENT = "org.pilotflow.agent..";
    private static final String MODEL = "org.pilotflow.model..";
    private static final String DELEGATES = "org.pilotflow.delegates..";
    private static final String RESOURCE = "org.pilotflow.resource..";
    private static final String API = "org.pilotflow.api..";
    private static final String INTERNAL = "org.pilotflow.internal..";
    private static final String PLUGIN = "org.pilotflow.plugin..";
    private static final String EXAMPLES = "org.pilotflow.examples..";

    private static JavaClasses mainClasses;

    @BeforeAll
    static void importMainClasses() {
        mainClasses = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar")) // delegates' test fixtures
                .importPackages("org.pilotflow");
    }

    /** Guards against a rule passing because the import found nothing (e.g. a module missing from the classpath). */
    @Test
    void importSeesEveryModuleOnTheClasspath() {
        for (String probe : List.of(
                "org.pilotflow.agent.AgentMain",               // agent
                "org.pilotflow.model.StateModel",              // agent (shared model)
                "org.pilotflow.function.PilotFunction",        // function-api
                "org.pilotflow.delegates.LaunchPilotDelegate", // delegates
                "org.pilotflow.resource.ResourceAdapter",      // delegates (resource adapters)
                "org.pilotflow.api.Session",                   // engine-plugin (public API)
                "org.pilotflow.internal.PilotFlowRuntime",     // engine-plugin (internals)
                "org.pilotflow.plugin.PilotFlowPlugin")) {     // engine-plugin (plugin)
            assertThat(mainClasses.contain(probe))
                    .as("ArchUnit import should contain %s; if it was renamed, update the probe list in %s",
                            probe, ModuleDependenciesTest.class.getSimpleName())
                    .isTrue();
        }
        assertThat(mainClasses.stream().map(JavaClass::getName))
                .as("test classes must not be imported (the rules are about main code)")
                .doesNotContain(ModuleDependenciesTest.class.getName());
    }

    // (a) ------------------------------------------------------------------------------------------------------

    @Test
    void agentAndSharedModelNeverNeedCamundaNorTheEngineSide() {
        ArchRule rule = noClasses().that().resideInAnyPackage(AGENT, MODEL)
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.camunda..", DELEGATES, RESOURCE, API, INTERNAL, PLUGIN)
                .because("the agent runs on the resource as one small jar with JSON and logging only (DESIGN.md,"
                        + " Modules). Move the code that needs Camunda or the engine side into delegates or"
                        + " engine-plugin, or move a type both sides need into org.pilotflow.model (Camunda-free)");
        rule.check(mainClasses);
    }

    // (b) ------------------------------------------------------------------------------------------------------

    @Test
    void delegatesAndResourceAdaptersDoNotDependOnTheEnginePlugin() {
        ArchRule rule = noClasses().that().resideInAnyPackage(DELEGATES, RESOURCE)
                .should().dependOnClassesThat().resideInAnyPackage(API, INTERNAL, PLUGIN)
                .because("arrows point one way: engine-plugin depends on delegates, not back. Let delegates"
                        + " declare what they need as an interface in org.pilotflow.delegates (as"
                        + " PilotFlowBackend does) and let engine-plugin implement it");
        rule.check(mainClasses);
    }

    // (c') -----------------------------------------------------------------------------------------------------

    @Test
    void functionApiStandsAlone() {
        ArchRule rule = noClasses().that().resideInAPackage("org.pilotflow.function..")
                .should().dependOnClassesThat(DescribedPredicate.describe("PilotFlow classes outside the function API",
                        c -> c.getPackageName().startsWith("org.pilotflow")
                                && !c.getPackageName().startsWith("org.pilotflow.function")))
                .because("a user's function jar compiles against pilotflow-function-api alone, and its class loader"
                        + " in the agent sees nothing else of PilotFlow (README, Function units)");
        rule.check(mainClasses);
    }

    // (c) ------------------------------------------------------------------------------------------------------

    @Test
    void sharedModelStandsAlone() {
        ArchRule rule = noClasses().that().resideInAPackage(MODEL)
                .should().dependOnClassesThat().resideInAPackage(AGENT)
                .because("org.pilotflow.model is shared by the agent and the engine side and must stand alone."
                        + " Move the needed type into org.pilotflow.model, or keep the agent-only logic in the agent");
        rule.check(mainClasses);
    }

    // (d) ------------------------------------------------------------------------------------------------------

    @Test
    void nothingDependsOnExamples() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage(EXAMPLES)
                .should().dependOnClassesThat().resideInAPackage(EXAMPLES)
                .because("nothing depends on examples (DESIGN.md, Modules). Move the shared code into the module"
                        + " that needs it (usually engine-plugin's org.pilotflow.api) and let the example use it");
        rule.check(mainClasses);
    }

    // (e) ------------------------------------------------------------------------------------------------------

    /**
     * What holds today: of the public API, only {@code Session} (the entry point, which creates the runtime and
     * hands out the managers) touches {@code org.pilotflow.internal} (PilotFlowRuntime, SessionState). Every
     * other API type (descriptions, states, callbacks, exceptions, the PilotManager/UnitManager interfaces) is
     * free of internals, so the implementations in internal depend on the API and not the other way round.
     * Nested classes of Session (Session$Builder, lambdas' synthetic classes) count as Session.
     */
    @Test
    void publicApiUsesInternalsOnlyFromSession() {
        ArchRule rule = noClasses().that().resideInAPackage(API).and(isNot(SESSION_OR_NESTED))
                .should().dependOnClassesThat().resideInAPackage(INTERNAL)
                .because("the public API must not leak internals: only org.pilotflow.api.Session, the entry"
                        + " point, may reach into org.pilotflow.internal. Expose what callers need as an API"
                        + " type (interface or immutable value) in org.pilotflow.api and implement it in internal");
        rule.check(mainClasses);
    }

    private static final DescribedPredicate<JavaClass> SESSION_OR_NESTED = DescribedPredicate.describe(
            "org.pilotflow.api.Session (or nested in it)",
            c -> c.getName().equals("org.pilotflow.api.Session")
                    || c.getName().startsWith("org.pilotflow.api.Session$"));

    private static <T> DescribedPredicate<T> isNot(DescribedPredicate<T> p) {
        return DescribedPredicate.not(p).as("are not " + p.getDescription());
    }

    // (f) ------------------------------------------------------------------------------------------------------

    /**
     * No exceptions today: AgentMain only names "System.err" as a string (slf4j-simple's logFile setting), it
     * does not write to the stream. ArchUnit's condition also catches Throwable.printStackTrace(), which writes
     * to System.err as well.
     */
    @Test
    void mainCodeLogsThroughSlf4jNotStandardStreams() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage(EXAMPLES)
                .should(GeneralCodingRules.ACCESS_STANDARD_STREAMS)
                .because("logging goes through slf4j (org.slf4j.LoggerFactory.getLogger(YourClass.class));"
                        + " the agent's slf4j-simple binding already writes to its sandbox's stderr. Only"
                        + " org.pilotflow.examples may print to the console");
        rule.check(mainClasses);
    }

    // Maven level ----------------------------------------------------------------------------------------------

    /**
     * Bytecode rules see only what is compiled; this one sees the build: the agent's pom (and what it inherits from
     * the parent's own {@code <dependencies>}) must not declare any org.camunda* artifact, not even one that goes
     * unused. Surefire runs with engine-plugin's directory as the working directory.
     */
    @Test
    void agentPomDeclaresNoCamundaDependency() throws Exception {
        Path agentPom = Path.of("..", "agent", "pom.xml");
        Path parentPom = Path.of("..", "pom.xml");
        assertThat(agentPom).as("agent/pom.xml relative to %s", Path.of("").toAbsolutePath()).isRegularFile();

        List<String> camunda = new ArrayList<>();
        for (Element dep : elements(parse(agentPom).getDocumentElement(), "dependency", true)) {
            addIfCamunda(agentPom, dep, camunda);
        }
        if (Files.isRegularFile(parentPom)) {
            // only the parent's direct <project><dependencies> are inherited; its dependencyManagement is not
            for (Element deps : elements(parse(parentPom).getDocumentElement(), "dependencies", false)) {
                for (Element dep : elements(deps, "dependency", false)) {
                    addIfCamunda(parentPom, dep, camunda);
                }
            }
        }
        assertThat(camunda)
                .as("the agent must never need Camunda (DESIGN.md, Modules: JSON + logging only). Remove these"
                        + " dependencies from the agent's build; code that needs Camunda belongs in delegates or"
                        + " engine-plugin, a type both sides share in org.pilotflow.model")
                .isEmpty();
    }

    private static void addIfCamunda(Path pom, Element dep, List<String> out) {
        String groupId = text(dep, "groupId");
        if (groupId.startsWith("org.camunda")) {
            out.add(pom.normalize() + ": " + groupId + ":" + text(dep, "artifactId"));
        }
    }

    private static Document parse(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(pom.toFile());
    }

    /** Child elements named {@code name}; with {@code deep}, every descendant (plugins' dependencies too). */
    private static List<Element> elements(Element parent, String name, boolean deep) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = deep ? parent.getElementsByTagName(name) : parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    private static String text(Element dep, String child) {
        List<Element> found = elements(dep, child, false);
        return found.isEmpty() ? "" : found.get(0).getTextContent().trim();
    }
}
