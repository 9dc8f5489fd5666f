package org.pilotflow.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.testing.PostgresBackend;

/**
 * Sessions on an embedded engine in a temporary work directory, with short heartbeat timings for tests, on the
 * database under test: H2 (the embedded default) or, with {@code -Dpilotflow.test.db=postgres}, a fresh database
 * of the test PostgreSQL server (the pom's second surefire run). The database of a work directory is chosen once
 * and written to {@code <work>/database.url}, so a reconnect, a second engine node or a child JVM given the same
 * work directory uses the same database.
 */
public final class LocalFixture {
    public static final String DB_PROPERTY = "pilotflow.test.db";

    private LocalFixture() {
    }

    public static boolean onPostgres() {
        return "postgres".equalsIgnoreCase(System.getProperty(DB_PROPERTY));
    }

    public static PilotFlowConfig config(Path work) {
        return PilotFlowConfig.builder()
                .workDirectory(work)
                .heartbeatInterval(Duration.ofMillis(500))
                .heartbeatTimeout(Duration.ofSeconds(4))
                .launchTimeout(Duration.ofSeconds(60))
                .cancelGrace(Duration.ofSeconds(10))
                .jobPollInterval(Duration.ofSeconds(1))
                .build();
    }

    /** A session builder on the work directory's database (H2 under the work directory, or PostgreSQL). */
    public static Session.Builder builder(Path work, PilotFlowConfig config) {
        Session.Builder b = Session.builder().config(config);
        String[] db = database(work);
        if (db != null) {
            b.jdbcUrl(db[0]).credentials(db[1], db[2]);
        }
        return b;
    }

    public static Session session(Path work) {
        return builder(work, config(work)).create();
    }

    /** The JDBC URL, user and password of the work directory's PostgreSQL database; null on H2. */
    public static String[] database(Path work) {
        Path file = work.resolve("database.url");
        try {
            if (Files.isRegularFile(file)) {
                String[] parts = Files.readString(file).strip().split("\n");
                return parts.length == 3 ? parts : null;
            }
            if (!onPostgres()) {
                Files.createDirectories(work);
                Files.writeString(file, "h2\n");
                return null;
            }
            PostgresBackend.Database db = PostgresBackend.newDatabase("e2e");
            Files.createDirectories(work);
            Files.writeString(file, db.jdbcUrl() + "\n" + db.user() + "\n" + db.password() + "\n");
            return new String[] {db.jdbcUrl(), db.user(), db.password()};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes the session's job executor hold a job it acquires for {@code lock} instead of
     * {@link Session#JOB_LOCK_TIME}: read at each acquisition and by a transfer's lock extension.
     */
    static void jobLockTime(Session session, Duration lock) {
        ((org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl) session.processEngine()
                .getProcessEngineConfiguration()).getJobExecutor().setLockTimeInMillis((int) lock.toMillis());
    }

    static ComputePilotDescription.Builder localPilot(Path work, int cores) {
        return ComputePilotDescription.builder()
                .resource("local.localhost")
                .runtime(Duration.ofMinutes(10))
                .cores(cores)
                .sandbox(work.resolve("sandboxes").toString());
    }

    /**
     * Waits until no process instance of {@code key} is left (a unit's instance ends in a job of its own after its
     * end message: "Run on a pilot" is asynchronous after); fails after a generous bound.
     */
    /** Waits until {@code condition} holds, at most {@code bound}; fails naming {@code what}. */
    public static void await(String what, java.util.function.BooleanSupplier condition, Duration bound)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + bound.toSeconds() + " s: " + what);
            }
            Thread.sleep(20);
        }
    }

    public static void awaitNoInstances(org.camunda.bpm.engine.ProcessEngine engine, String key)
            throws InterruptedException {
        awaitNoInstances(engine, key, Duration.ofSeconds(60));
    }

    /** As {@link #awaitNoInstances(org.camunda.bpm.engine.ProcessEngine, String)}, with the bound given. */
    public static void awaitNoInstances(org.camunda.bpm.engine.ProcessEngine engine, String key, Duration bound)
            throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (engine.getRuntimeService().createProcessInstanceQuery().processDefinitionKey(key).count() > 0) {
            if (System.nanoTime() > deadline) {
                StringBuilder left = new StringBuilder();
                for (var pi : engine.getRuntimeService().createProcessInstanceQuery().processDefinitionKey(key)
                        .list()) {
                    left.append("\n  ").append(pi.getBusinessKey()).append(" at ")
                            .append(engine.getRuntimeService().getActiveActivityIds(pi.getId()));
                    for (var job : engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                            .list()) {
                        left.append(", job ").append(job.getId()).append(" retries ").append(job.getRetries())
                                .append(job.getExceptionMessage() == null ? "" : " " + job.getExceptionMessage());
                    }
                }
                throw new AssertionError("instance(s) of " + key + " still running after " + bound + ":" + left);
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits until the process instance with this business key (a pilot's or unit's uid) has ended, and returns its
     * id; fails after {@code bound}. A unit's instance ends in a job of its own after the unit's final state.
     */
    public static String awaitInstanceEnded(org.camunda.bpm.engine.ProcessEngine engine, String businessKey,
                                            Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            var pi = engine.getHistoryService().createHistoricProcessInstanceQuery()
                    .processInstanceBusinessKey(businessKey).singleResult();
            if (pi != null && pi.getEndTime() != null) {
                return pi.getId();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the process instance of " + businessKey + " has not ended after " + bound
                        + (pi == null ? " (none found)" : ", it is at "
                        + engine.getRuntimeService().getActiveActivityIds(pi.getId())));
            }
            Thread.sleep(20);
        }
    }

    /** The pid of a local pilot's agent, from its job handle ({@code fork:<host>/<pid>}). */
    public static long agentPid(ComputePilot p) {
        String details = p.resourceDetails(); // "local.localhost fork:<host>/<pid>"
        String job = details.substring(details.indexOf("fork:") + 5).strip();
        return Long.parseLong(job.substring(job.lastIndexOf('/') + 1));
    }

    public static ComputePilot activePilot(PilotManager pmgr, Path work, int cores) {
        ComputePilot p = pmgr.submitPilot(localPilot(work, cores).build());
        p.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE);
        return p;
    }

    /**
     * The session's {@code stored-units} counter and its rows in PF_UNIT, read together: what a node compares to
     * learn of units made elsewhere, and what it stands for.
     */
    public static long[] storedUnitsAndRows(Session session) throws java.sql.SQLException {
        var config = (org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl)
                session.processEngine().getProcessEngineConfiguration();
        try (java.sql.Connection c = config.getDataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM PF_UNIT WHERE SESSION_ID = ?")) {
            ps.setString(1, session.uid());
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {org.pilotflow.internal.store.SessionTable.storedUnits(c, session.uid()),
                    rs.getLong(1)};
            }
        }
    }
}
