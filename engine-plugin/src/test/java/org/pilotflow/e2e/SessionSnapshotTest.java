package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.camunda.bpm.engine.ProcessEngines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PersistenceFailure;
import org.pilotflow.api.Session;
import org.pilotflow.api.SessionSnapshot;
import org.pilotflow.api.SessionSnapshot.UnitSnapshot;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;

/**
 * A session read as stored, without an engine: what it holds matches the live API, reading it serves no agent and
 * changes nothing, and it keeps the memory series it was asked to keep. Runs on H2 and on PostgreSQL.
 */
class SessionSnapshotTest {

    @TempDir
    Path work;

    @Test
    void aSnapshotReadsTheSessionAsStoredWithoutAnEngine() throws Exception {
        PilotFlowConfig cfg = LocalFixture.config(work).toBuilder().memorySampleInterval(Duration.ofMillis(100))
                .build();
        String id;
        ComputePilot pilot;
        List<ComputeUnit> shorts;
        ComputeUnit sleeper;
        Session session = LocalFixture.builder(work, cfg).create();
        try {
            id = session.uid();
            pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ds.add(ComputeUnitDescription.builder().name("short-" + i).executable("/bin/sleep").arguments("0.8")
                        .build());
            }
            shorts = umgr.submitUnits(ds);
            umgr.waitUnits(shorts.stream().map(ComputeUnit::uid).toList(), List.of(), Duration.ofMinutes(3));
            sleeper = umgr.submitUnit(ComputeUnitDescription.builder().name("sleeper").executable("/bin/sleep")
                    .arguments("300").build());
            assertThat(sleeper.waitFor(Duration.ofMinutes(2), UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);

            SessionSnapshot live = session.snapshot();
            assertThat(live.id()).isEqualTo(id);
            assertThat(live.closed()).isFalse();
            assertThat(live.pilots()).singleElement().satisfies(p -> {
                assertThat(p.uid()).isEqualTo(pilot.uid());
                assertThat(p.state()).isEqualTo(PilotState.ACTIVE);
                assertThat(p.history()).isEqualTo(pilot.stateHistory());
                assertThat(p.description()).isEqualTo(pilot.description());
            });
            assertThat(live.units()).hasSize(4);
            for (ComputeUnit u : shorts) {
                UnitSnapshot s = unit(live, u.uid());
                assertThat(s.state()).isEqualTo(UnitState.DONE);
                assertThat(s.history()).isEqualTo(u.stateHistory());
                assertThat(s.exitCode()).isZero();
                assertThat(s.pilot()).isEqualTo(pilot.uid());
                assertThat(s.manager()).isEqualTo(umgr.uid());
                assertThat(s.memory()).as("0.8 s sampled every 100 ms").isNotNull();
                assertThat(s.memory().samples()).isNotEmpty();
            }
        } finally {
            session.close(false); // the engine stops; the pilot and the sleeper go on
        }

        int engines = ProcessEngines.getProcessEngines().size();
        SessionSnapshot stored = LocalFixture.builder(work, cfg).snapshot(id, 1);
        assertThat(ProcessEngines.getProcessEngines()).as("no engine was built to read it").hasSize(engines);
        assertThat(stored.pilots()).singleElement().extracting(SessionSnapshot.PilotSnapshot::state)
                .isEqualTo(PilotState.ACTIVE);
        assertThat(unit(stored, sleeper.uid()).state()).as("nobody served its agent's reports")
                .isEqualTo(UnitState.EXECUTING);
        // one non-leaking series kept: the largest peak's; the others keep peaks and the leak analysis
        List<UnitSnapshot> profiled = stored.units().stream().filter(u -> u.memory() != null)
                .sorted(Comparator.comparingLong((UnitSnapshot u) -> u.memory().peakUsed()).reversed()).toList();
        assertThat(profiled).hasSizeGreaterThanOrEqualTo(3);
        assertThat(profiled.get(0).memory().samples()).isNotEmpty();
        assertThat(profiled.subList(1, profiled.size())).allSatisfy(u -> {
            assertThat(u.memory().samples()).isEmpty();
            assertThat(u.memory().peakUsed()).isPositive();
        });
        assertThat(LocalFixture.builder(work, cfg).snapshot(id, 1).pilots().get(0).history())
                .as("reading twice finds the same").isEqualTo(stored.pilots().get(0).history());

        try (Session again = LocalFixture.builder(work, cfg).reconnect(id)) {
            again.close(true); // cancels the pilot: no agent outlives the test
        }
        assertThat(LocalFixture.builder(work, cfg).snapshot(id).closed()).isTrue();
    }

    @Test
    void anUnknownSessionOrAMissingDatabaseIsNamedAndNothingIsCreated() {
        Path nowhere = work.resolve("no-such-work");
        if (!LocalFixture.onPostgres()) {
            assertThatThrownBy(() -> Session.builder().workDirectory(nowhere).snapshot("session.x"))
                    .isInstanceOf(PersistenceFailure.class)
                    .hasMessageContaining("cannot open the database jdbc:h2:file:" + nowhere);
            assertThat(nowhere).doesNotExist();
        }
        PilotFlowConfig cfg = LocalFixture.config(work);
        try (Session s = LocalFixture.builder(work, cfg).create()) {
            s.close(false);
        }
        assertThatThrownBy(() -> LocalFixture.builder(work, cfg).snapshot("session.nope"))
                .isInstanceOf(BadParameter.class)
                .hasMessageContaining("sessionId is 'session.nope'");
        assertThatThrownBy(() -> LocalFixture.builder(work, cfg).snapshot("session.x", -1))
                .isInstanceOf(BadParameter.class).hasMessageContaining("seriesKept");
    }

    @Test
    void aJdbcUrlInAMessageShowsNoPassword() {
        assertThatThrownBy(() -> Session.builder().jdbcUrl("jdbc:postgresql://someone:s3cret@127.0.0.1:1/x"
                + "?password=s3cret&ssl=false").credentials("someone", "s3cret").snapshot("session.x"))
                .isInstanceOf(PersistenceFailure.class)
                .hasMessageNotContaining("s3cret")
                .hasMessageContaining("127.0.0.1:1/x");
    }

    private static UnitSnapshot unit(SessionSnapshot s, String uid) {
        return s.units().stream().filter(u -> u.uid().equals(uid)).findFirst().orElseThrow();
    }
}
