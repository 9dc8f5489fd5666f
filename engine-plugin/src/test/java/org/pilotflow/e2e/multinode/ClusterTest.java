package org.pilotflow.e2e.multinode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.testing.PostgresBackend;

/**
 * PilotFlow as a cluster: two engine JVMs on one PostgreSQL database. Node A submits the pilots and units; node B
 * opens the same session; the agents spread over both nodes. A is killed with SIGKILL mid-run: its agents fail over
 * to B, B runs the watchdog, every unit ends DONE and none runs twice. A restarts and rejoins, and takes the
 * watchdog over when B leaves.
 */
class ClusterTest {

    static final int PILOTS = 4;
    static final int UNITS = 400;

    @TempDir
    Path work;

    static PilotFlowConfig config(Path work) {
        return LocalFixture.config(work).toBuilder().heartbeatTimeout(Duration.ofSeconds(6))
                .orphanTimeout(Duration.ofMinutes(2)).build();
    }

    @Test
    void twoNodesOneKilledMidRun() throws Exception {
        assumeFalse(LocalFixture.onPostgres(), "runs once, on PostgreSQL, in the default test run");
        PostgresBackend.Database db = PostgresBackend.newDatabase("cluster");
        Files.createDirectories(work);
        Files.writeString(work.resolve("database.url"), db.jdbcUrl() + "\n" + db.user() + "\n" + db.password() + "\n");
        Path marks = work.resolve("runs.log");
        try (NodeProcess a = NodeProcess.start("A", work.resolve("node-a.log"), "submit", work.toString(),
                Integer.toString(PILOTS), Integer.toString(UNITS), marks.toString())) {
            String session = a.await(l -> l.startsWith("SESSION "), Duration.ofMinutes(2), "SESSION").substring(8);
            try (NodeProcess b = NodeProcess.start("B", work.resolve("node-b.log"), "serve", work.toString(),
                    session)) {
                b.await("READY"::equals, Duration.ofMinutes(2), "READY");
                waitUntil(() -> liveNodes(db) == 2, Duration.ofMinutes(1), "both nodes registered");
                a.await("NODES 2"::equals, Duration.ofMinutes(1), "A knows of B (its agents are told of both)");
                a.send("GO");
                a.await("SUBMITTED"::equals, Duration.ofMinutes(2), "SUBMITTED");
                // both nodes hear agents before A dies
                waitUntil(() -> contactNodes(db, session) == 2, Duration.ofMinutes(2), "agents on both nodes");
                waitUntil(() -> count(db, session, "DONE") >= UNITS / 5, Duration.ofMinutes(2), "a fifth done");
                int doneAtKill = count(db, session, "DONE");
                a.kill();
                System.out.printf("node A killed with SIGKILL after %d of %d units were DONE%n", doneAtKill, UNITS);

                String result = b.await(l -> l.startsWith("RESULT "), Duration.ofMinutes(3), "RESULT");
                assertThat(result).isEqualTo("RESULT {DONE=" + UNITS + "}");
                b.await("LEADER"::equals, Duration.ofMinutes(1), "B runs the watchdog");
                Map<String, Integer> runs = new HashMap<>();
                for (String id : Files.readAllLines(marks)) {
                    runs.merge(id.strip(), 1, Integer::sum);
                }
                assertThat(runs).hasSize(UNITS);
                assertThat(runs.values()).as("no unit ran twice").containsOnly(1);

                try (NodeProcess again = NodeProcess.start("A2", work.resolve("node-a2.log"), "serve",
                        work.toString(), session)) {
                    again.await("READY"::equals, Duration.ofMinutes(2), "A rejoined");
                    waitUntil(() -> liveNodes(db) == 2, Duration.ofMinutes(1), "two live nodes");
                    b.send("QUIT");
                    assertThat(b.waitForExit(Duration.ofMinutes(1))).isTrue();
                    again.await("LEADER"::equals, Duration.ofMinutes(1), "A takes the watchdog over");
                    again.send("TERMINATE");
                    again.await("CLOSED"::equals, Duration.ofMinutes(2), "session closed");
                }
                assertThat(count(db, session, "CANCELED") + count(db, session, "DONE")).isEqualTo(UNITS);
                assertThat(pilots(db, session, "CANCELED")).as("every pilot ended when the session closed")
                        .isEqualTo(PILOTS);
            }
        } finally {
            PostgresBackend.dropDatabase(db);
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitUntil(Check c, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!c.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(200);
        }
    }

    private static int count(PostgresBackend.Database db, String session, String state) throws Exception {
        return queryInt(db, "SELECT COUNT(*) FROM PF_UNIT WHERE SESSION_ID = '" + session + "' AND STATE = '" + state
                + "'");
    }

    private static int pilots(PostgresBackend.Database db, String session, String state) throws Exception {
        return queryInt(db, "SELECT COUNT(*) FROM PF_PILOT WHERE SESSION_ID = '" + session + "' AND STATE = '"
                + state + "'");
    }

    private static int contactNodes(PostgresBackend.Database db, String session) throws Exception {
        return queryInt(db, "SELECT COUNT(DISTINCT NODE) FROM PF_CONTACT WHERE SESSION_ID = '" + session + "'");
    }

    private static int liveNodes(PostgresBackend.Database db) throws Exception {
        return queryInt(db, "SELECT COUNT(*) FROM PF_NODE WHERE LAST_SEEN > (SELECT MAX(LAST_SEEN) FROM PF_NODE)"
                + " - 3000");
    }

    private static int queryInt(PostgresBackend.Database db, String sql) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
