package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.DescriptionsPropertyTest;
import org.pilotflow.api.DescriptionsPropertyTest.Call;
import org.pilotflow.api.DescriptionsPropertyTest.Recipe;
import org.pilotflow.api.DescriptionsPropertyTest.Shown;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.Wire;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.config.ResourceRegistry;

/**
 * Garbage at a running session: descriptions that build are stored or refused with a {@link BadParameter}, and a
 * refused one changes nothing (no unit, no pilot, no process instance); bad pilot descriptions are refused before
 * anything starts; garbage syncs with a real pilot's secret get an error answer (or, well-formed, are acknowledged
 * and ignored), change no unit or pilot, and the endpoint keeps serving. One session serves all tries; its fork
 * adapter is a fake, so nothing a try submits starts a process.
 */
class GarbageInputPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    // Every property shrinks with ShrinkingMode.FULL: that runs on the test's thread, while a bounded shrink that
    // times out goes on in the background, against the session the next property uses.

    /** An answer that has not come after this long is a hung connection. */
    private static final Duration ANSWER_BOUND = Duration.ofSeconds(30);

    private static Path work;
    private static Session session;
    /** Bad pilot descriptions go here: it must stay without pilots. */
    private static PilotManager pmgr;
    /** Has no pilots: a unit it stores waits, and starts nothing. */
    private static UnitManager umgr;
    private static int coresPerNode;

    // the endpoint's garbage goes to one pilot, played by the test
    private static FakeAgent fake;
    private static AgentConfig agent;
    private static ComputePilot pilot;
    private static UnitManager wireUnits;
    /** Units pinned to the pilot; the newest one's RUN command is pending (the probe gets it back). */
    private static final List<ComputeUnit> tracked = new CopyOnWriteArrayList<>();

    @BeforeContainer
    static void open() throws Exception {
        work = Files.createTempDirectory("pbt-garbage");
        // the watchdog must not end the pilot while the tries run: only the tries' syncs reach the engine
        session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .heartbeatTimeout(Duration.ofMinutes(30)).launchTimeout(Duration.ofMinutes(30)).build()).create();
        fake = FakeAgent.install(session);
        pmgr = session.createPilotManager();
        umgr = session.createUnitManager();
        coresPerNode = session.resources().get("local.localhost").coresPerNode();

        pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
        agent = fake.awaitLaunch(pilot.uid());
        FakeAgent.Answer first = fake.sync(agent, agent.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), 0);
        assertThat(first.status()).isEqualTo(200);
        pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE);
        wireUnits = session.createUnitManager();
        wireUnits.addPilot(pilot);
        ensureRunCommandPending();
    }

    @AfterContainer
    static void close() throws IOException {
        try {
            if (session != null) {
                session.close(false); // the fake agents have no process to stop; waiting for their pilots is slow
            }
        } finally {
            deleteTree(work);
        }
    }

    // ================================================================================================ unit submits

    /** A description that builds is stored, or refused with a BadParameter on units[0]; refused, nothing changes. */
    @Property(tries = 50, shrinking = ShrinkingMode.FULL)
    void aUnitThatBuildsIsStoredOrRefusedAndARefusalChangesNothing(
            @ForAll("buildableUnits") Recipe<ComputeUnitDescription.Builder> r) {
        ComputeUnitDescription d = r.applyTo(ComputeUnitDescription.builder()).build();
        List<String> units = umgr.listUnits();
        Set<String> instances = instanceIds(session);
        List<ComputeUnit> stored;
        try {
            stored = umgr.submitUnits(List.of(d));
        } catch (BadParameter e) {
            assertRefusal(e, "units[0]");
            assertThat(umgr.listUnits()).as("units after a refusal").isEqualTo(units);
            assertThat(newInstances(session, instances)).as("process instances started by a refusal").isEmpty();
            return;
        } catch (RuntimeException e) { // a PersistenceFailure for a big description, say
            throw new AssertionError(e.getClass().getSimpleName() + ": " + brief(e.getMessage())
                    + " (units stored meanwhile: " + (umgr.listUnits().size() - units.size()) + ", process instances "
                    + newInstances(session, instances).size() + ")", e);
        }
        assertThat(stored).hasSize(1);
        assertThat(umgr.listUnits()).hasSize(units.size() + 1);
        // canceled again at once: waiting units pile up over the tries and shrinking, and slow every later try
        umgr.cancelUnits(List.of(stored.get(0).uid()));
    }

    /**
     * A description over a megabyte (one field of 1.1 or 2.2 million characters) is stored, or refused with a
     * BadParameter naming that field; nothing else (a PersistenceFailure from the database, say). Each try puts
     * the big string into each field in turn and reports every field that went wrong.
     */
    @Property(tries = 2, shrinking = ShrinkingMode.FULL)
    void aUnitOverAMegabyteIsStoredOrRefusedNamingTheField(@ForAll("bigStrings") Big big) {
        List<String> wrong = new ArrayList<>();
        for (Call<ComputeUnitDescription.Builder> field : fieldsWith(big.value())) {
            List<String> units = umgr.listUnits();
            Set<String> instances = instanceIds(session);
            RuntimeException refusal;
            try {
                List<ComputeUnit> stored = umgr.submitUnits(List.of(applied(field).build()));
                umgr.cancelUnits(List.of(stored.get(0).uid()));
                continue;
            } catch (RuntimeException e) {
                refusal = e;
            }
            String name = field.text().substring(0, field.text().indexOf('('));
            // refused by build() (the field bare) or by submitUnits (with its list position)
            if (!(refusal instanceof BadParameter e)
                    || !(e.field().startsWith("units[0]." + name) || e.field().startsWith(name))
                    || !e.getMessage().startsWith(e.field() + " is ")) {
                wrong.add(field + ": " + refusal.getClass().getSimpleName() + " " + brief(refusal.getMessage()));
            } else if (!umgr.listUnits().equals(units) || !newInstances(session, instances).isEmpty()) {
                wrong.add(field + ": refused, yet units or process instances were added");
            }
        }
        assertThat(wrong).as("fields whose big value was neither stored nor refused with a BadParameter on it")
                .isEmpty();
    }

    /**
     * A NUL cannot be part of an argv, an environment, a file name or a shell line: a description with one in any
     * of these fields is refused, by build() or at submission, naming the field, and nothing is stored. Each try
     * puts the same string into each field in turn and reports every field that took it.
     */
    @Property(tries = 20, shrinking = ShrinkingMode.FULL)
    void aUnitWithANulCharacterIsRefused(@ForAll("stringsWithNul") WithNul nul) {
        List<String> accepted = new ArrayList<>();
        for (Call<ComputeUnitDescription.Builder> field : stringFields(nul.value())) {
            List<String> units = umgr.listUnits();
            Set<String> instances = instanceIds(session);
            try {
                List<ComputeUnit> stored = umgr.submitUnits(List.of(applied(field).build()));
                accepted.add(field.text());
                umgr.cancelUnits(List.of(stored.get(0).uid()));
            } catch (BadParameter e) {
                assertRefusal(e, e.field().startsWith("units[") ? "units[0]." : "");
                assertThat(umgr.listUnits()).as("units after refusing " + field).isEqualTo(units);
                assertThat(newInstances(session, instances)).as("process instances after refusing " + field).isEmpty();
            }
        }
        assertThat(accepted).as("fields that took a NUL (in builder().executable(\"/bin/true\")...)").isEmpty();
    }

    private static ComputeUnitDescription.Builder applied(Call<ComputeUnitDescription.Builder> field) {
        ComputeUnitDescription.Builder b = ComputeUnitDescription.builder().executable("/bin/true");
        field.apply().accept(b);
        return b;
    }

    /** {@link #stringFields} and the name. */
    private static List<Call<ComputeUnitDescription.Builder>> fieldsWith(String value) {
        List<Call<ComputeUnitDescription.Builder>> fields = new ArrayList<>(stringFields(value));
        fields.add(new Call<>("name(" + Shown.text(value) + ")", b -> b.name(value)));
        return fields;
    }

    /** The fields whose strings end up in the unit's argv, environment, file names or shell lines. */
    private static List<Call<ComputeUnitDescription.Builder>> stringFields(String value) {
        String shown = Shown.text(value);
        return List.of(
                new Call<>("executable(" + shown + ")", b -> b.executable(value)),
                new Call<>("arguments(" + shown + ")", b -> b.arguments(value)),
                new Call<>("environment(Map.of(\"X\", " + shown + "))", b -> b.environment(java.util.Map.of("X", value))),
                new Call<>("stdout(" + shown + ")", b -> b.stdout(value)),
                new Call<>("stderr(" + shown + ")", b -> b.stderr(value)),
                new Call<>("preExec(List.of(" + shown + "))", b -> b.preExec(List.of(value))),
                new Call<>("postExec(List.of(" + shown + "))", b -> b.postExec(List.of(value))));
    }

    // ================================================================================================ pilot submits

    /**
     * Descriptions that build but are wrong for local.localhost (more cores than it has, GPUs it does not have, NUL
     * characters, two-megabyte strings) are refused with a BadParameter naming the field, and start nothing. Each
     * try submits every kind of wrong description once (with the try's values) and reports each that went wrong.
     * No shrinking: every description has one wrong field, and an accepted one is a real (fake-launched) pilot.
     */
    @Property(tries = 5, shrinking = ShrinkingMode.OFF)
    void aBadPilotDescriptionIsRefusedAndStartsNothing(@ForAll("badPilotValues") BadPilot values) {
        List<String> wrong = new ArrayList<>();
        for (Call<ComputePilotDescription.Builder> bad : values.calls()) {
            ComputePilotDescription.Builder b = LocalFixture.localPilot(work, 1);
            bad.apply().accept(b);
            List<String> pilots = pmgr.listPilots();
            Set<String> instances = instanceIds(session);
            RuntimeException refusal = null;
            try {
                pmgr.submitPilots(List.of(b.build()));
            } catch (RuntimeException e) {
                refusal = e;
            }
            List<String> newPilots = new ArrayList<>(pmgr.listPilots());
            newPilots.removeAll(pilots);
            int newInstances = newInstances(session, instances).size();
            String name = bad.text().substring(0, bad.text().indexOf('('));
            if (refusal == null) {
                wrong.add(bad + ": accepted");
                pmgr.cancelPilots(newPilots); // its agent never reported: canceled at once
            } else if (!(refusal instanceof BadParameter e)
                    || !(e.field().equals("pilots[0]." + name) || e.field().equals(name))
                    || !e.getMessage().startsWith(e.field() + " is ")) {
                wrong.add(bad + ": " + refusal.getClass().getSimpleName() + " " + brief(refusal.getMessage()));
            } else if (!newPilots.isEmpty() || newInstances > 0) {
                wrong.add(bad + ": refused, yet started pilots " + newPilots + " and " + newInstances
                        + " process instance(s)");
            }
        }
        assertThat(wrong).as("wrong pilot descriptions not refused with a BadParameter on their field "
                + "(each a localPilot(work, 1 core) with one call)").isEmpty();
    }

    // ================================================================================================ resource files

    /** A resource file with a JSON syntax error is refused naming its line and column, and loads nothing. */
    @Property(tries = 50, shrinking = ShrinkingMode.FULL)
    void aBrokenResourceFileIsRefusedNamingLineAndColumn(@ForAll("truncatedResourceFiles") Truncated t)
            throws IOException {
        Path dir = Files.createDirectories(work.resolve("resources-" + System.nanoTime()));
        Path file = Files.write(dir.resolve("resource_fuzz.json"), t.content());
        ResourceConfigException syntax = registryError(file); // where the parser itself puts the error
        List<String> labels = session.resources().labels();
        try {
            session.loadResourceConfigs(dir);
            throw new AssertionError("loaded a truncated file");
        } catch (BadParameter e) {
            assertThat(e.getMessage()).as("the message of the refusal")
                    .contains("line " + syntax.line()).contains("column " + syntax.column());
        } finally {
            assertThat(session.resources().labels()).isEqualTo(labels);
        }
    }

    // ================================================================================================ wire format

    /**
     * A garbage sync with the right secret: a malformed one gets a 4xx, a well-formed one (reports about unknown
     * units, in unknown states, with absurd numbers) a 200 or a 4xx; never a 5xx but 503 "busy", never no answer.
     * No unit, pilot or pending command changes, and a well-formed sync right after is served.
     */
    @Property(tries = 100, shrinking = ShrinkingMode.FULL)
    void aGarbageSyncIsAnsweredAndChangesNothing(@ForAll("syncBodies") SyncGarbage g) throws Exception {
        ensureRunCommandPending();
        Context ctx = context();
        byte[] body = g.body(ctx);
        List<String> before = wireState();

        HttpResponse<byte[]> answer = HTTP.send(HttpRequest.newBuilder(URI.create(agent.endpoint()
                        + String.format(Wire.SYNC_PATH_FORMAT, agent.pilotId())))
                .timeout(ANSWER_BOUND)
                .header("Content-Type", "application/json")
                .header(Wire.AUTHORIZATION, Wire.BEARER + agent.secret())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());

        int status = answer.statusCode();
        String said = Shown.text(new String(answer.body(), StandardCharsets.UTF_8));
        boolean busy = status == 503 && said.contains("busy");
        if (wellFormed(body)) {
            assertThat(status == 200 || status / 100 == 4 || busy)
                    .as("answer %d %s to a well-formed sync", status, said).isTrue();
        } else {
            assertThat(status / 100 == 4 || busy).as("answer %d %s to a malformed sync", status, said).isTrue();
        }
        assertThat(wireState()).as("units, pilot and pending commands after the sync").isEqualTo(before);
        FakeAgent.Answer probe = fake.sync(agent, agent.secret(), List.of(), 0);
        assertThat(probe.status()).as("a well-formed sync after the garbage").isEqualTo(200);
        assertThat(probe.response().commands()).as("commands handed out after the garbage")
                .anyMatch(c -> c.type() == Command.Type.RUN_UNIT);
    }

    // ================================================================================================ checks

    private static void assertRefusal(BadParameter e, String fieldPrefix) {
        assertThat(e.field()).as("field of %s", Shown.text(e.getMessage())).startsWith(fieldPrefix).isNotBlank();
        assertThat(e.getMessage()).as("message of a BadParameter on %s", e.field()).startsWith(e.field() + " is ");
    }

    private static Set<String> instanceIds(Session s) {
        Set<String> ids = new HashSet<>();
        for (ProcessInstance pi : s.processEngine().getRuntimeService().createProcessInstanceQuery().list()) {
            ids.add(pi.getId() + " " + pi.getBusinessKey());
        }
        return ids;
    }

    /** Instances started since {@code before} (instances of earlier tries may end meanwhile: not a change). */
    private static Set<String> newInstances(Session s, Set<String> before) {
        Set<String> now = instanceIds(s);
        now.removeAll(before);
        return now;
    }

    private static ResourceConfigException registryError(Path file) {
        try {
            ResourceRegistry.withBuiltIns().loadFile(file);
        } catch (ResourceConfigException e) {
            assertThat(e.line()).as("the parser's line for %s", e.getMessage()).isPositive();
            return e;
        }
        throw new AssertionError("the registry loaded " + file);
    }

    /** As the engine reads a sync: a body it can take at all, for this pilot. */
    private static boolean wellFormed(byte[] body) {
        try {
            SyncRequest req = Wire.mapper().readValue(body, SyncRequest.class);
            return req != null && pilot.uid().equals(req.pilotId());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The rows a garbage sync must not change: the pilot's units, the pilot, and the commands waiting for it. */
    private static List<String> wireState() throws SQLException {
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                session.processEngine().getProcessEngineConfiguration();
        List<String> rows = new ArrayList<>();
        try (Connection c = cfg.getDataSource().getConnection()) {
            rows(c, "SELECT UID, STATE, HISTORY, PILOT, EXIT_CODE, REASON, STDOUT_TAIL, STDERR_TAIL, SANDBOX, SLOTS,"
                    + " ATTEMPT FROM PF_UNIT WHERE SESSION_ID = ? AND MANAGER = '" + wireUnits.uid() + "' ORDER BY UID",
                    rows);
            rows(c, "SELECT UID, STATE, HISTORY, REASON FROM PF_PILOT WHERE SESSION_ID = ? AND UID = '" + pilot.uid()
                    + "'", rows);
            rows(c, "SELECT PILOT, SEQ, TYPE, UNIT_ID FROM PF_COMMAND WHERE SESSION_ID = ? AND PILOT = '" + pilot.uid()
                    + "' ORDER BY SEQ", rows);
        }
        return rows;
    }

    private static void rows(Connection c, String sql, List<String> into) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, session.uid());
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    StringBuilder row = new StringBuilder(sql.substring(sql.indexOf("FROM ") + 5, sql.indexOf(" WHERE")));
                    for (int i = 1; i <= n; i++) {
                        String v = rs.getString(i);
                        if ("HISTORY".equalsIgnoreCase(rs.getMetaData().getColumnName(i)) && v != null) {
                            v = v.replaceAll("\\{\"state\":\"([A-Z_]+)\"[^}]*}", "$1"); // the states, not the times
                        }
                        row.append(" | ").append(v);
                    }
                    into.add(row.toString());
                }
            }
        }
    }

    private static long reportCursor() throws SQLException {
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                session.processEngine().getProcessEngineConfiguration();
        try (Connection c = cfg.getDataSource().getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT LAST_SEQ FROM PF_REPORT_CURSOR WHERE SESSION_ID = ? AND PILOT = ?")) {
            ps.setString(1, session.uid());
            ps.setString(2, pilot.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /**
     * Makes sure a RUN command waits for the agent (a try that made the engine drop it would otherwise spoil every
     * later try): if the probe does not get one back, a new unit is pinned to the pilot and its command awaited.
     */
    private static void ensureRunCommandPending() throws Exception {
        if (runCommandFor(null)) {
            return;
        }
        ComputeUnit u = wireUnits.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                .pilot(pilot.uid()).build());
        tracked.add(u);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!runCommandFor(u.uid())) { // an empty probe is held for up to a heartbeat: no busy loop
            assertThat(System.nanoTime()).as("the RUN command of " + u.uid()).isLessThan(deadline);
        }
        // nothing moves the unit on until its agent reports
        u.waitFor(Duration.ofSeconds(60), UnitState.PENDING_INPUT_STAGING);
    }

    private static boolean runCommandFor(String unitUid) throws Exception {
        FakeAgent.Answer probe = fake.sync(agent, agent.secret(), List.of(), 0);
        assertThat(probe.status()).as("a well-formed sync").isEqualTo(200);
        return probe.response().commands().stream().anyMatch(c -> c.type() == Command.Type.RUN_UNIT
                && (unitUid == null || unitUid.equals(c.unitId())));
    }

    private static Context context() throws SQLException {
        return new Context(pilot.uid(), reportCursor(), tracked.get(tracked.size() - 1).uid());
    }

    /** A message cut to a readable length (it may quote a megabyte of the description). */
    private static String brief(String message) {
        return message == null || message.length() <= 300 ? message
                : message.substring(0, 300) + "...(" + message.length() + " chars)";
    }

    /** JSON as UTF-8, a lone surrogate written as '?' (as a careless agent would send it). */
    private static byte[] bytes(Object value) throws IOException {
        return JSON.writeValueAsString(value).getBytes(StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ================================================================================================ unit generators

    /** Descriptions that pass build(): garbage only where build() does not look (NUL, size, counts). */
    @Provide
    Arbitrary<Recipe<ComputeUnitDescription.Builder>> buildableUnits() {
        // short strings only: a big description is its own property (each failing try of one writes megabytes)
        Arbitrary<String> anyText = DescriptionsPropertyTest.smallText();
        Arbitrary<String> fileName = anyText.filter(s -> !s.isEmpty() && !s.contains("/") && !s.equals(".")
                && !s.equals(".."));
        Arbitrary<String> envName = anyText.filter(s -> !s.isEmpty() && !s.contains("=") && s.indexOf('\0') < 0
                && s.length() < 100);
        List<Arbitrary<Call<ComputeUnitDescription.Builder>>> calls = List.of(
                DescriptionsPropertyTest.call("name", anyText, (b, v) -> b.name(v)),
                DescriptionsPropertyTest.primitive("executable", Arbitraries.frequencyOf(
                        Tuple.of(1, Arbitraries.just("/bin/true")),
                        Tuple.of(2, anyText.filter(s -> !s.isBlank()))), (b, v) -> b.executable(v)),
                DescriptionsPropertyTest.primitive("arguments", anyText.list().ofMaxSize(3), (b, v) -> b.arguments(v)),
                DescriptionsPropertyTest.primitive("environment", Arbitraries.maps(envName, anyText).ofMaxSize(2),
                        (b, v) -> b.environment(v)),
                DescriptionsPropertyTest.primitive("cores", Arbitraries.of(1, 2, 1000, Integer.MAX_VALUE),
                        (b, v) -> b.cores(v)),
                DescriptionsPropertyTest.primitive("gpus", Arbitraries.of(0, 1, Integer.MAX_VALUE), (b, v) -> b.gpus(v)),
                DescriptionsPropertyTest.primitive("preExec", anyText.list().ofMaxSize(3), (b, v) -> b.preExec(v)),
                DescriptionsPropertyTest.primitive("postExec", anyText.list().ofMaxSize(3), (b, v) -> b.postExec(v)),
                DescriptionsPropertyTest.call("stdout", fileName, (b, v) -> b.stdout(v)),
                DescriptionsPropertyTest.call("stderr", fileName, (b, v) -> b.stderr(v)),
                DescriptionsPropertyTest.call("timeout", Arbitraries.of(Duration.ofNanos(1), Duration.ofMinutes(10),
                        Duration.ofDays(365L * 1000), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)),
                        (b, v) -> b.timeout(v)),
                DescriptionsPropertyTest.primitive("restartable", Arbitraries.of(true, false),
                        (b, v) -> b.restartable(v)),
                // a pilot this manager does not have: refused (units[0].pilot)
                DescriptionsPropertyTest.<ComputeUnitDescription.Builder, String>call("pilot",
                        Arbitraries.of("pilot.0000", "\0", ""), (b, v) -> b.pilot(v)).injectNull(0.8),
                DescriptionsPropertyTest.primitive("mpi", Arbitraries.of(true, false), (b, v) -> b.mpi(v)));
        return DescriptionsPropertyTest.recipe(calls).filter(GarbageInputPropertyTest::builds);
    }

    /** A string over a megabyte; printed by its length. */
    record Big(String value) {
        @Override
        public String toString() {
            return Shown.text(value);
        }
    }

    @Provide
    Arbitrary<Big> bigStrings() {
        return DescriptionsPropertyTest.huge().map(Big::new);
    }

    /** A string with a NUL; printed escaped. */
    record WithNul(String value) {
        @Override
        public String toString() {
            return Shown.text(value);
        }
    }

    /** Plausible values (plain file names too, so stdout/stderr take them but for the NUL) with a NUL somewhere. */
    @Provide
    Arbitrary<WithNul> stringsWithNul() {
        return Combinators.combine(Arbitraries.of("true", "x", "", "echo hi", "out.txt"),
                Arbitraries.integers().between(0, 20)).as((s, at) -> {
                    int i = Math.min(at, s.length());
                    return new WithNul(s.substring(0, i) + "\0" + s.substring(i));
                });
    }

    private static boolean builds(Recipe<ComputeUnitDescription.Builder> r) {
        try {
            r.applyTo(ComputeUnitDescription.builder()).build();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    // ================================================================================================ pilot generators

    /** The values a try puts into the pilot descriptions, one wrong field each. */
    record BadPilot(int cores, int gpus, String nul, int bigLength) {
        List<Call<ComputePilotDescription.Builder>> calls() {
            String sandboxes = work.resolve("sandboxes").toString();
            String big = "x".repeat(bigLength);
            List<Call<ComputePilotDescription.Builder>> calls = new ArrayList<>(List.of(
                    new Call<>("cores(" + cores + ")", b -> b.cores(cores)),
                    new Call<>("gpus(" + gpus + ")", b -> b.gpus(gpus))));
            for (String v : List.of(nul, big)) {
                String shown = Shown.text(v);
                calls.add(new Call<>("queue(" + shown + ")", b -> b.queue(v)));
                calls.add(new Call<>("project(" + shown + ")", b -> b.project(v)));
                calls.add(new Call<>("sandbox(<work>/sandboxes/" + shown + ")", b -> b.sandbox(sandboxes + "/" + v)));
                calls.add(new Call<>("accessSchema(" + shown + ")", b -> b.accessSchema(v)));
                calls.add(new Call<>("resource(\"local.localhost\" + " + shown + ")",
                        b -> b.resource("local.localhost" + v)));
            }
            return calls;
        }

        @Override
        public String toString() {
            return "cores " + cores + ", gpus " + gpus + ", NUL string " + Shown.text(nul) + ", big string of "
                    + bigLength + " chars";
        }
    }

    @Provide
    Arbitrary<BadPilot> badPilotValues() {
        return Combinators.combine(
                Arbitraries.of(coresPerNode + 1, 100_000, Integer.MAX_VALUE),
                Arbitraries.of(1, 4, Integer.MAX_VALUE),
                Arbitraries.of("\0", "a\0b", "local\0", "normal\0"),
                Arbitraries.of(2_000_000, 2_200_000)).as(BadPilot::new);
    }

    // ================================================================================================ file generators

    /** A resource file cut short; {@code toString} says where. */
    record Truncated(int at, int of, byte[] content) {
        @Override
        public String toString() {
            return "the example resource file cut after " + at + " of " + of + " chars: ..."
                    + Shown.text(new String(content, StandardCharsets.UTF_8)
                    .substring(Math.max(0, content.length - 40)));
        }
    }

    @Provide
    Arbitrary<Truncated> truncatedResourceFiles() throws IOException {
        String full = Files.readString(Path.of("..", "docs", "resources", "resource_example.json")).strip();
        return Arbitraries.integers().between(0, full.length() - 1)
                .map(n -> new Truncated(n, full.length(), full.substring(0, n).getBytes(StandardCharsets.UTF_8)));
    }

    // ================================================================================================ sync generators

    /** What a body is built from at send time: the pilot, its report cursor, a unit that is really its. */
    record Context(String pilotUid, long cursor, String unitUid) { }

    /** A sync body; {@code toString} is what jqwik prints. */
    interface SyncGarbage {
        byte[] body(Context ctx) throws IOException;
    }

    record Bytes(byte[] bytes) implements SyncGarbage {
        @Override
        public byte[] body(Context ctx) {
            return bytes;
        }

        @Override
        public String toString() {
            return "bytes " + Shown.text(new String(bytes, StandardCharsets.ISO_8859_1)) + " (" + bytes.length + ")";
        }
    }

    /** A well-formed sync of refusable reports (unknown unit, unknown states), cut after {@code at} bytes. */
    record Cut(int at) implements SyncGarbage {
        @Override
        public byte[] body(Context ctx) throws IOException {
            byte[] full = bytes(template(ctx));
            return java.util.Arrays.copyOf(full, Math.min(at, full.length - 1));
        }

        @Override
        public String toString() {
            return "a sync cut after " + at + " bytes";
        }
    }

    /** The well-formed sync with one value (at a path of field names and list indices) replaced. */
    record Spoiled(List<String> path, JsonNode value) implements SyncGarbage {
        @Override
        public byte[] body(Context ctx) throws IOException {
            ObjectNode root = template(ctx);
            JsonNode at = root;
            for (String key : path.subList(0, path.size() - 1)) {
                at = at.isArray() ? at.get(Integer.parseInt(key)) : at.get(key);
            }
            String last = path.get(path.size() - 1);
            if (at instanceof ArrayNode a) {
                a.set(Integer.parseInt(last), value);
            } else {
                ((ObjectNode) at).set(last, value);
            }
            return bytes(root);
        }

        @Override
        public String toString() {
            String v = value.toString();
            return String.join("/", path) + " = " + (v.length() > 80 ? v.substring(0, 60) + "...(" + v.length()
                    + " chars)" : v);
        }
    }

    /** Where a report's sequence number lies relative to the pilot's report cursor (known only at send time). */
    enum Seq {
        NEXT, AFTER_NEXT, CURSOR, ZERO, MINUS_ONE, MIN, MAX;

        long of(long cursor) {
            return switch (this) {
                case NEXT -> cursor + 1;
                case AFTER_NEXT -> cursor + 2;
                case CURSOR -> cursor;
                case ZERO -> 0;
                case MINUS_ONE -> -1;
                case MIN -> Long.MIN_VALUE;
                case MAX -> Long.MAX_VALUE;
            };
        }
    }

    /** Who a report is about. */
    enum About { UNKNOWN_UNIT, THE_PILOTS_UNIT, THE_PILOT, EMPTY_UID, NUL_UID }

    record GarbageReport(Seq seq, About about, String state, Integer exitCode, String text,
                         java.util.Map<String, Long> timestamps, List<String> slots) {
        ObjectNode json(Context ctx) {
            ObjectNode r = NODES.objectNode();
            r.put("seq", seq.of(ctx.cursor()));
            switch (about) {
                case UNKNOWN_UNIT -> r.put("unitId", "unit.999999");
                case THE_PILOTS_UNIT -> r.put("unitId", ctx.unitUid());
                case THE_PILOT -> r.putNull("unitId");
                case EMPTY_UID -> r.put("unitId", "");
                case NUL_UID -> r.put("unitId", "unit.\0");
            }
            r.put("state", state);
            if (exitCode != null) {
                r.put("exitCode", exitCode);
            }
            r.put("reason", text).put("stdoutTail", text).put("stderrTail", text).put("sandbox", text);
            r.set("timestamps", JSON.valueToTree(timestamps));
            r.set("slots", JSON.valueToTree(slots));
            return r;
        }

        @Override
        public String toString() {
            return "{seq " + seq + ", " + about + ", state " + Shown.text(state) + ", exit " + exitCode + ", text "
                    + Shown.text(text) + ", timestamps " + Shown.value(timestamps) + ", slots "
                    + Shown.value(slots) + "}";
        }
    }

    /** A well-formed sync of this pilot whose reports the engine must refuse. */
    record Refusable(List<GarbageReport> reports, long lastCommandSeq) implements SyncGarbage {
        @Override
        public byte[] body(Context ctx) throws IOException {
            ObjectNode root = NODES.objectNode();
            root.put("pilotId", ctx.pilotUid()).put("agentTimeMillis", System.currentTimeMillis())
                    .put("agentPid", 1).put("host", "test");
            ArrayNode rs = root.putArray("reports");
            reports.forEach(r -> rs.add(r.json(ctx)));
            root.put("lastCommandSeq", lastCommandSeq);
            return bytes(root);
        }

        @Override
        public String toString() {
            return "sync(lastCommandSeq " + lastCommandSeq + ", reports " + reports + ")";
        }
    }

    /** The sync the garbage is made from: two reports the engine refuses (an unknown unit; an unknown state). */
    private static ObjectNode template(Context ctx) {
        ObjectNode root = NODES.objectNode();
        root.put("pilotId", ctx.pilotUid()).put("agentTimeMillis", 1_700_000_000_000L).put("agentPid", 4242)
                .put("host", "node1");
        ArrayNode rs = root.putArray("reports");
        rs.addObject().put("seq", ctx.cursor() + 1).put("unitId", "unit.999999").put("state", "NO_SUCH_STATE")
                .put("exitCode", 0).put("reason", "r").put("stdoutTail", "out").put("stderrTail", "err")
                .put("sandbox", "/tmp/x").putArray("slots").add("node1:0");
        ObjectNode second = rs.addObject().put("seq", ctx.cursor() + 2).put("unitId", ctx.unitUid())
                .put("state", "done");
        second.putObject("timestamps").put("DONE", 1_700_000_000_000L);
        root.put("lastCommandSeq", 0);
        return root;
    }

    @Provide
    Arbitrary<SyncGarbage> syncBodies() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, bytes()),
                Tuple.of(2, Arbitraries.integers().between(0, 600).map(Cut::new)),
                Tuple.of(4, spoiled()),
                Tuple.of(6, refusable()));
    }

    private static Arbitrary<SyncGarbage> bytes() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
                // JSON that is no sync at all
                Arbitraries.of("", "null", "{}", "[]", "0", "\"x\"", "true", "{\"pilotId\": null}", "[{}]",
                        "{\"reports\": null}", "\0").map(s -> s.getBytes(StandardCharsets.UTF_8)))
                .map(Bytes::new);
    }

    private static Arbitrary<SyncGarbage> spoiled() {
        Arbitrary<List<String>> path = Arbitraries.of(
                List.of("pilotId"), List.of("agentTimeMillis"), List.of("agentPid"), List.of("host"),
                List.of("reports"), List.of("lastCommandSeq"), List.of("unknownField"),
                List.of("reports", "0"), List.of("reports", "0", "seq"), List.of("reports", "0", "unitId"),
                List.of("reports", "0", "state"), List.of("reports", "0", "timestamps"),
                List.of("reports", "0", "exitCode"), List.of("reports", "0", "reason"),
                List.of("reports", "0", "stdoutTail"), List.of("reports", "0", "slots"),
                List.of("reports", "1", "seq"), List.of("reports", "1", "timestamps"),
                List.of("reports", "1", "unitId"), List.of("reports", "1", "state"));
        return Combinators.combine(path, garbageJson()).as(Spoiled::new);
    }

    private static Arbitrary<SyncGarbage> refusable() {
        Arbitrary<GarbageReport> report = Combinators.combine(
                Arbitraries.of(Seq.values()),
                Arbitraries.of(About.values()),
                states(),
                Arbitraries.of(0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE).injectNull(0.3),
                strings().injectNull(0.2),
                Arbitraries.maps(states().filter(java.util.Objects::nonNull),
                        Arbitraries.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE)).ofMaxSize(2),
                strings().list().ofMaxSize(2)).as(GarbageReport::new);
        return Combinators.combine(report.list().ofMinSize(0).ofMaxSize(3),
                        // never a command number the engine issued: 0, below, or far beyond
                        Arbitraries.of(0L, -1L, Long.MIN_VALUE, 1_000_000_000L, Long.MAX_VALUE))
                .as(Refusable::new);
    }

    /** State names neither a unit nor a pilot has. */
    private static Arbitrary<String> states() {
        Set<String> real = new HashSet<>();
        for (UnitState s : UnitState.values()) {
            real.add(s.name());
        }
        for (PilotState s : PilotState.values()) {
            real.add(s.name());
        }
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("NO_SUCH_STATE", "done", "DONE\0", " EXECUTING", "FAILED ", "", "\0",
                        "Active")),
                Tuple.of(1, strings())).injectNull(0.1).filter(s -> s == null || !real.contains(s));
    }

    private static Arbitrary<String> strings() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("", "\0", "a\0b", "\u00e9\u4e2d", "\ud800", "x".repeat(10_000))),
                Tuple.of(2, Arbitraries.strings().all().ofMaxLength(10)));
    }

    /** Any JSON value, biased to absurd numbers and strings with NUL. */
    private static Arbitrary<JsonNode> garbageJson() {
        Arbitrary<JsonNode> scalar = Arbitraries.frequencyOf(
                Tuple.of(3, strings().map(NODES::textNode)),
                Tuple.of(3, Arbitraries.of("0", "-1", "9223372036854775807", "-9223372036854775808",
                        "9223372036854775808", "1e400", "-1e400", "4.5", "1e-400", "100000000000000000000000000000")
                        .map(GarbageInputPropertyTest::number)),
                Tuple.of(1, Arbitraries.of(NODES.nullNode(), NODES.booleanNode(true))));
        return Arbitraries.recursive(() -> scalar, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(3).map(l -> {
                    ArrayNode a = NODES.arrayNode();
                    l.forEach(a::add);
                    return (JsonNode) a;
                }),
                Arbitraries.maps(Arbitraries.of("seq", "unitId", "state", "x", "", "\0"), inner).ofMaxSize(3)
                        .map(m -> {
                            ObjectNode o = NODES.objectNode();
                            m.forEach(o::set);
                            return (JsonNode) o;
                        })), 0, 2);
    }

    private static JsonNode number(String text) {
        return text.matches("-?[0-9]+") ? NODES.numberNode(new BigInteger(text))
                : NODES.numberNode(new BigDecimal(text));
    }
}
