package org.pilotflow.cockpit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.testing.PostgresBackend;
import org.pilotflow.testing.TestBackends;

/**
 * Cockpit as an operator uses it: a session runs a local pilot with a running and a failed unit on the embedded H2
 * database; {@code pilotflow cockpit --work DIR --port N} runs as a separate process (the command's main class and
 * arguments, on this module's classpath rather than packed into the executable jar, which the test phase precedes);
 * a real headless Chromium logs in with the generated admin password, finds the running pilot's and unit's instances
 * by business key with their variables, and cancels the running unit with Cockpit's own button, which cancels the
 * unit. PilotFlow's own view (the {@code pilotflow} Cockpit plugin) is opened from the header: it lists the running
 * pilot, the running unit and the failed units with their reasons, filters by state, and leads to a unit's instance;
 * its REST resource refuses a request without a login and bad parameters (SQL in them among others). Screenshots stay
 * in {@code target/cockpit-screenshots/}. Skips without Chromium; fails under {@code CI=true}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CockpitBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Set by the pom's second run: the session and Cockpit on a database of the test PostgreSQL server. */
    private static final boolean ON_POSTGRES = "postgres".equalsIgnoreCase(System.getProperty("pilotflow.test.db"));
    private static final Path OUT = Path.of("target", ON_POSTGRES ? "cockpit-screenshots-postgres"
            : "cockpit-screenshots").toAbsolutePath();
    private static final Duration STARTUP = Duration.ofMinutes(3);
    private static final Duration UI = Duration.ofSeconds(60);

    private static String missing;
    private static Session session;
    private static ComputePilot pilot;
    private static ComputeUnit running;
    private static ComputeUnit failed;
    private static Process cockpit;
    private static String base;
    private static ChromeDriver browser;
    private static ProcessInstance failingWorkflow;
    /** The test PostgreSQL server's database of the second run; null on H2. */
    private static PostgresBackend.Database db;

    /** One unit as a call activity, failing (exit 3, a line on stderr), with no boundary event to catch it. */
    private static final String FAILING_WORKFLOW = """
            <?xml version="1.0" encoding="UTF-8"?>
            <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://pilotflow.org/test">
              <bpmn:process id="cockpitTestFailingWorkflow" isExecutable="true" camunda:historyTimeToLive="P1D">
                <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
                <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="unit" />
                <bpmn:callActivity id="unit" name="Convert data" calledElement="pilotflow-unit">
                  <bpmn:extensionElements>
                    <camunda:in source="pilotflowSession" target="pilotflowSession" />
                    <camunda:in sourceExpression="convert" target="name" />
                    <camunda:in sourceExpression="/bin/sh" target="executable" />
                    <camunda:in sourceExpression="[&quot;-c&quot;, &quot;echo input file missing &gt;&amp;2; exit 3&quot;]"
                        target="arguments" />
                  </bpmn:extensionElements>
                  <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
                </bpmn:callActivity>
                <bpmn:sequenceFlow id="f2" sourceRef="unit" targetRef="end" />
                <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
              </bpmn:process>
            </bpmn:definitions>
            """;

    @BeforeAll
    static void startSessionCockpitAndChromium() throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            missing = "headless Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): apt-get install chromium chromium-driver fonts-dejavu-core";
            if (TestBackends.underCi()) {
                Assertions.fail(missing + "\nUnder CI=true it must be there: .ci/run installs it.");
            }
            return;
        }
        Files.createDirectories(OUT);
        Path work = Files.createTempDirectory(Path.of("target"), "cockpit-work").toAbsolutePath();
        Session.Builder builder = Session.builder().config(PilotFlowConfig.builder().workDirectory(work)
                .cancelGrace(Duration.ofSeconds(5)).build());
        db = ON_POSTGRES ? PostgresBackend.newDatabase("cockpit") : null;
        if (db != null) {
            builder.jdbcUrl(db.jdbcUrl()).credentials(db.user(), db.password());
        }
        session = builder.create();
        pilot = session.createPilotManager().submitPilot(ComputePilotDescription.builder()
                .resource("local.localhost").runtime(Duration.ofMinutes(10)).cores(2).build());
        UnitManager units = session.createUnitManager();
        units.addPilot(pilot);
        List<ComputeUnit> submitted = units.submitUnits(List.of(
                ComputeUnitDescription.builder().name("sleeper").executable("/bin/sleep").arguments("600").build(),
                ComputeUnitDescription.builder().name("failing").executable("/bin/sh")
                        .arguments("-c", "echo input file missing >&2; exit 3").build()));
        running = submitted.get(0);
        failed = submitted.get(1);
        assertThat(failed.waitFor(Duration.ofMinutes(2))).isEqualTo(UnitState.FAILED);
        running.waitFor(Duration.ofMinutes(2), UnitState.EXECUTING);
        // a workflow whose unit fails with nothing to catch it: the unit's instance stays, with an incident
        var engine = session.processEngine();
        engine.getRepositoryService().createDeployment().name("cockpit-test")
                .addString("failing-workflow.bpmn", FAILING_WORKFLOW).deploy();
        failingWorkflow = engine.getRuntimeService().startProcessInstanceByKey("cockpitTestFailingWorkflow",
                Map.of("pilotflowSession", session.uid()));
        await("an incident on the workflow's unit", STARTUP, () -> engine.getRuntimeService().createIncidentQuery()
                .processInstanceId(calledUnit().getId()).count() > 0);

        // the command, as bin/pilotflow cockpit runs it, in a process of its own with a home of its own (where the
        // generated admin password is written)
        Path home = Files.createTempDirectory(Path.of("target"), "cockpit-home").toAbsolutePath();
        int port = freePort();
        base = "http://127.0.0.1:" + port;
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + home, "-cp", classpath, CockpitCommand.class.getName(),
                "--port", Integer.toString(port)));
        command.addAll(db == null ? List.of("--work", work.toString())
                : List.of("--jdbc", db.jdbcUrl(), "--db-user", db.user()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove(AdminLogin.PASSWORD_VARIABLE);
        if (db != null) {
            pb.environment().put(CockpitCommand.DB_PASSWORD_VARIABLE, db.password()); // never on the command line
        }
        pb.redirectErrorStream(true).redirectOutput(OUT.resolve("cockpit.log").toFile());
        cockpit = pb.start();
        Path password = home.resolve(".pilotflow").resolve("cockpit-password");
        await("Cockpit answered on " + base + " (see " + OUT.resolve("cockpit.log") + ")", STARTUP, () -> {
            assertThat(cockpit.isAlive()).as("Cockpit exited; its log: %s", OUT.resolve("cockpit.log")).isTrue();
            return Files.isRegularFile(password) && ok(base + "/camunda/app/welcome/default/");
        });

        java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder").setLevel(Level.SEVERE);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()) // a given driver: Selenium Manager never runs
                .usingAnyFreePort()
                .withLogFile(OUT.resolve("chromedriver.log").toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox" /* root in CI */, "--disable-dev-shm-usage",
                "--disable-gpu", "--window-size=1400,1000", "--force-device-scale-factor=1", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync");
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofMinutes(2));
        logIn(Files.readString(password, StandardCharsets.UTF_8).strip());
    }

    @AfterAll
    static void stopAll() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (cockpit != null) {
            cockpit.destroy();
            if (!cockpit.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                cockpit.destroyForcibly();
            }
        }
        if (session != null) {
            session.close();
        }
        if (db != null) {
            PostgresBackend.dropDatabase(db);
        }
    }

    @Test
    @Order(1)
    void theRunningPilotIsAnInstanceWithItsBusinessKey() throws Exception {
        requireChromium();
        ProcessInstance instance = instance("pilotflow-pilot", pilot.uid());
        open("#/process-definition/" + instance.getProcessDefinitionId() + "/runtime");
        awaitText(pilot.uid());
        screenshot("pilot-definition.png");
        open("#/process-instance/" + instance.getId() + "/runtime");
        awaitText(pilot.uid());
        awaitText("pilotflowPilot");
        screenshot("pilot-instance.png");
    }

    @Test
    @Order(2)
    void theRunningUnitIsAnInstanceWithItsVariables() throws Exception {
        requireChromium();
        ProcessInstance instance = instance("pilotflow-unit", running.uid());
        open("#/process-instance/" + instance.getId() + "/runtime");
        awaitText(running.uid());
        awaitText("pilotflowUnit");
        screenshot("running-unit.png");
        // the failed unit's instance ended (no incident, no variables of its end on this branch): what Cockpit shows
        // of failed units comes with their incidents
        assertThat(failed.failureReason()).get().asString().contains("input file missing");
    }

    @Test
    @Order(3)
    void aFailedUnitOfAWorkflowShowsItsIncidentAndReason() throws Exception {
        requireChromium();
        ProcessInstance unit = calledUnit();
        open("#/process-instance/" + unit.getId() + "/runtime");
        awaitText("failureReason");
        awaitText("input file missing"); // the reason and the stderr tail, as variables
        awaitText("unitState");
        screenshot("failed-unit-variables.png");
        click(By.xpath("//a[normalize-space(.)='Incidents']"));
        // the incident's message names the unit and says why (the failure reason)
        awaitElement(By.xpath("//td[contains(., 'FAILED') and contains(., 'exit code 3')]"));
        screenshot("failed-unit-incident.png");
    }

    @Test
    @Order(4)
    void thePilotFlowViewListsPilotsAndUnitsWithTheirFailures() throws Exception {
        requireChromium();
        open("");
        // the dashboard's summary (all of this database: only this test's session)
        await("the dashboard's PilotFlow summary", UI, () -> {
            String summary = browser.findElements(By.id("pilotflow-summary")).stream().map(WebElement::getText)
                    .findFirst().orElse("");
            return summary.contains("Pilots: 1 ACTIVE") && summary.contains("FAILED");
        });
        screenshot("pilotflow-dashboard.png");
        click(By.id("pilotflow-nav")); // the header's PilotFlow entry
        WebElement pilotRow = awaitElement(row("pilotflow-pilots", pilot.uid()));
        await("the pilot's row shows ACTIVE on local.localhost", UI, () -> pilotRow.getText().contains("ACTIVE")
                && pilotRow.getText().contains("local.localhost"));
        WebElement runningRow = awaitElement(row("pilotflow-units", running.uid()));
        assertThat(runningRow.getText()).contains("EXECUTING", "sleeper");
        WebElement failedRow = awaitElement(row("pilotflow-units", failed.uid()));
        assertThat(failedRow.getText()).contains("FAILED", "failing", "3", "input file missing");
        screenshot("pilotflow-view.png");

        // only the failed units: the running one goes, the workflow's failed unit (its instance waits on an
        // incident) is there with its reason, and its uid leads to its process instance
        click(By.cssSelector("#pilotflow-unit-state option[value='FAILED']"));
        await("the running unit filtered out", UI, () -> browser.findElements(row("pilotflow-units", running.uid()))
                .isEmpty());
        ProcessInstance workflowUnit = calledUnit();
        WebElement workflowRow = awaitElement(row("pilotflow-units", workflowUnit.getBusinessKey()));
        assertThat(workflowRow.getText()).contains("FAILED", "convert", "input file missing");
        assertThat(browser.findElements(row("pilotflow-units", failed.uid()))).hasSize(1);
        screenshot("pilotflow-failed-units.png");
        click(By.cssSelector("a[data-pf-link='" + workflowUnit.getBusinessKey() + "']"));
        await("Cockpit's page of the unit's instance", UI, () -> browser.getCurrentUrl()
                .contains("#/process-instance/" + workflowUnit.getId()));
        awaitText("failureReason");
        screenshot("pilotflow-to-instance.png");
    }

    @Test
    @Order(5)
    void thePilotFlowResourceRefusesStrangersAndBadParameters() throws Exception {
        requireChromium();
        String api = base + "/camunda/api/cockpit/plugin/pilotflow/default/";
        HttpResponse<String> stranger = get(api + "pilots", null);
        assertThat(stranger.statusCode()).as(stranger.body()).isEqualTo(401);
        assertThat(stranger.body()).doesNotContain(pilot.uid());
        // the browser's login session
        String cookie = String.join("; ", browser.manage().getCookies().stream()
                .map(c -> c.getName() + "=" + c.getValue()).toList());
        HttpResponse<String> active = get(api + "pilots?state=ACTIVE&session=" + session.uid(), cookie);
        assertThat(active.statusCode()).as(active.body()).isEqualTo(200);
        assertThat(active.body()).contains("\"uid\":\"" + pilot.uid() + "\"", "\"instanceRunning\":true");
        HttpResponse<String> summary = get(api + "summary", cookie);
        assertThat(summary.body()).contains("\"FAILED\":");
        String[][] bad = {
            {"pilots?state=ACTIVE%27%20OR%20%271%27%3D%271", "state is 'ACTIVE' OR '1'='1', expected one or more"},
            {"units?session=x%27%3B%20DROP%20TABLE%20PF_UNIT%3B--",
                "session is 'x'; DROP TABLE PF_UNIT;--', expected a uid"},
            {"units?limit=0", "limit is '0', expected a whole number 1..500"},
            {"pilots?offset=-1", "offset is '-1', expected a whole number 0..1000000"},
            {"units?state=RUNNING", "state is 'RUNNING', expected one or more of NEW, UNSCHEDULED"},
            {"units?orderBy=uid", "orderBy is 'uid', expected no such parameter"},
        };
        for (String[] b : bad) {
            HttpResponse<String> r = get(api + b[0], cookie);
            assertThat(r.statusCode()).as(b[0] + ": " + r.body()).isEqualTo(400);
            assertThat(r.body()).as(b[0]).contains("query parameter " + b[1]);
        }
        assertThat(get(api + "units?session=" + session.uid(), cookie).body()).as("PF_UNIT is still there")
                .contains(failed.uid());
    }

    @Test
    @Order(6)
    void cancelingTheUnitsInstanceInCockpitCancelsTheUnit() throws Exception {
        requireChromium();
        ProcessInstance instance = instance("pilotflow-unit", running.uid());
        open("#/process-instance/" + instance.getId() + "/runtime");
        awaitText(running.uid());
        click(By.cssSelector("a[uib-tooltip='Delete running process instance']"));
        awaitText("Do you really want to delete this process instance?");
        screenshot("delete-dialog.png");
        click(By.cssSelector(".modal-footer button.btn-primary"));
        awaitText("The process instance was deleted successfully.");
        screenshot("deleted.png");
        assertThat(running.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.CANCELED);
        assertThat(running.failureReason()).get().asString().contains("deleted");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The unit instance the failing workflow's call activity started. */
    private static ProcessInstance calledUnit() {
        ProcessInstance pi = session.processEngine().getRuntimeService().createProcessInstanceQuery()
                .superProcessInstanceId(failingWorkflow.getId()).singleResult();
        assertThat(pi).as("the unit instance of the failing workflow").isNotNull();
        return pi;
    }

    private static void requireChromium() {
        Assumptions.assumeTrue(missing == null, missing);
    }

    private static ProcessInstance instance(String key, String businessKey) {
        RuntimeService rt = session.processEngine().getRuntimeService();
        ProcessInstance pi = rt.createProcessInstanceQuery().processDefinitionKey(key)
                .processInstanceBusinessKey(businessKey).singleResult();
        assertThat(pi).as("the %s instance of %s", key, businessKey).isNotNull();
        return pi;
    }

    private static void logIn(String password) throws Exception {
        browser.get(base + "/camunda/app/cockpit/default/");
        WebElement user = awaitElement(By.cssSelector("input[type='text'], input#inputUsername"));
        user.sendKeys(AdminLogin.USER);
        browser.findElement(By.cssSelector("input[type='password']")).sendKeys(password);
        screenshot("login.png");
        browser.findElement(By.cssSelector("button[type='submit']")).click();
        awaitText("Running Process Instances");
        screenshot("dashboard.png");
    }

    private static void open(String route) {
        browser.get(base + "/camunda/app/cockpit/default/" + route);
    }

    private static String pageText() {
        return (String) ((JavascriptExecutor) browser).executeScript("return document.body.innerText;");
    }

    private static void awaitText(String text) throws Exception {
        await("the page shows '" + text + "'", UI, () -> pageText().contains(text));
    }

    private static WebElement awaitElement(By by) throws Exception {
        List<WebElement> found = new ArrayList<>();
        await("an element " + by, UI, () -> {
            found.clear();
            browser.findElements(by).stream().filter(e -> e.isDisplayed() && e.isEnabled()).findFirst()
                    .ifPresent(found::add);
            return !found.isEmpty();
        });
        return found.get(0);
    }

    private static void click(By by) throws Exception {
        awaitElement(by).click();
    }

    private static void await(String what, Duration bound, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                if (browser != null) { // what the page was, to see why
                    String name = "failed-" + System.currentTimeMillis();
                    screenshot(name + ".png");
                    Files.writeString(OUT.resolve(name + ".html"), browser.getPageSource());
                }
                throw new AssertionError("not within " + bound + ": " + what);
            }
            Thread.sleep(200); // polling a condition with a deadline
        }
    }

    /** A row of one of the PilotFlow view's tables, by uid (in this test's session). */
    private static By row(String table, String uid) {
        return By.xpath("//div[@id='" + table + "']//tr[@data-uid='" + uid + "' and @data-session='" + session.uid()
                + "']");
    }

    private static HttpResponse<String> get(String url, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean ok(String url) {
        try {
            HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void screenshot(String name) throws Exception {
        Map<String, Object> shot = browser.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png"));
        byte[] png = Base64.getDecoder().decode((String) shot.get("data"));
        assertThat(png.length).as("screenshot %s", name).isGreaterThan(1000);
        Files.write(OUT.resolve(name), png);
    }
}
