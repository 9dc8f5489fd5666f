package org.pilotflow.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;

/**
 * A session keeps the views of its unfinished units and of its newest finished ones only
 * ({@code PilotFlowConfig.finishedUnitCache}); every other finished unit is read back from the database, whole, when
 * it is asked for, and is not announced to callbacks a second time. Real agent, real units.
 */
class FinishedUnitCacheTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);
    private static final int CACHE = 5;
    private static final int UNITS = 30;

    @Test
    void finishedUnitsBeyondTheCacheAreReadBackWholeAndToldOnce(@TempDir Path work) throws Exception {
        PilotFlowConfig config = LocalFixture.config(work).toBuilder().finishedUnitCache(CACHE).build();
        String sessionId;
        String managerUid;
        List<String> uids;
        try (Session session = LocalFixture.builder(work, config).create()) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            managerUid = umgr.uid();
            Map<String, List<UnitState>> told = new ConcurrentHashMap<>();
            umgr.registerCallback((u, s) -> told.computeIfAbsent(u.uid(),
                    k -> Collections.synchronizedList(new ArrayList<>())).add(s));
            List<ComputeUnit> submitted = umgr.submitUnits(IntStream.range(0, UNITS).mapToObj(i ->
                    ComputeUnitDescription.builder().executable("/bin/echo").arguments("unit " + i).build()).toList());
            uids = submitted.stream().map(ComputeUnit::uid).toList();
            assertThat(umgr.waitUnits(uids, null, WITHIN)).containsOnly(UnitState.DONE);
            SessionState state = stateOf(session);
            assertThat(held(session)).as("views held once all are finished").isLessThanOrEqualTo(CACHE);

            // read back: every unit whole, through each way the API offers
            for (ComputeUnit u : umgr.getUnits(uids)) {
                assertDoneAndWhole(u, pilot.uid(), uids);
            }
            submitted.forEach(u -> assertDoneAndWhole(u, pilot.uid(), uids));
            assertThat(umgr.listUnits()).containsExactlyElementsOf(uids);
            assertThat(umgr.waitUnits(List.of(), null, WITHIN)).hasSize(UNITS).containsOnly(UnitState.DONE);
            assertThat(umgr.cancelUnitsAsync(uids).get()).containsOnly(UnitState.DONE);
            assertThat(submitted.get(0).completion().get().state()).isEqualTo(UnitState.DONE);
            state.refresh();

            // told once: a unit submitted now is told after anything queued before it on the callback thread
            ComputeUnit last = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(last.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            LocalFixture.await("the last unit's DONE told", () -> told.getOrDefault(last.uid(), List.of())
                    .contains(UnitState.DONE), WITHIN);
            for (String uid : uids) {
                assertThat(told.get(uid)).as(uid).containsOnlyOnce(UnitState.DONE, UnitState.EXECUTING)
                        .doesNotHaveDuplicates().endsWith(UnitState.DONE);
            }
            assertThat(held(session)).isLessThanOrEqualTo(CACHE);

            Path profile = work.resolve("session.prof");
            session.exportProfile(profile);
            String events = Files.readString(profile);
            assertThat(uids).allSatisfy(uid -> assertThat(events).contains(uid + ","));
            sessionId = session.uid();
            session.close(false); // the engine stops; the session's rows stay
        }

        // a new engine opening the session loads the unfinished units and the newest finished ones only
        try (Session again = LocalFixture.builder(work, config).reconnect(sessionId)) {
            assertThat(held(again)).isLessThanOrEqualTo(CACHE);
            UnitManager umgr = again.unitManagers().stream().filter(m -> m.uid().equals(managerUid)).findFirst()
                    .orElseThrow();
            assertThat(umgr.listUnits()).hasSize(UNITS + 1).containsAll(uids);
            String pilotUid = again.pilotManagers().get(0).listPilots().get(0);
            for (ComputeUnit u : umgr.getUnits(uids)) {
                assertDoneAndWhole(u, pilotUid, uids);
            }
            assertThat(held(again)).isLessThanOrEqualTo(CACHE);
            again.pilotManagers().get(0).cancelPilots(List.of(), WITHIN);
        }
    }

    @Test
    void aCacheOfNoneStillAnswersForEveryUnit(@TempDir Path work) throws Exception {
        PilotFlowConfig config = LocalFixture.config(work).toBuilder().finishedUnitCache(0).build();
        try (Session session = LocalFixture.builder(work, config).create()) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().executable("/bin/echo").arguments("unit 0").build(),
                    ComputeUnitDescription.builder().executable("/bin/false").build()));
            assertThat(units.get(0).waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(units.get(1).waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(held(session)).isZero();
            List<ComputeUnit> read = umgr.getUnits(units.stream().map(ComputeUnit::uid).toList());
            assertThat(read.get(0).stdout()).isEqualTo("unit 0\n");
            assertThat(read.get(1).exitCode()).contains(1);
            assertThat(read.get(1).failureReason()).isPresent();
            assertThat(read.get(1).completion().isDone()).isTrue();
            session.pilotManagers().get(0).cancelPilots(List.of(), WITHIN);
        }
    }

    private static void assertDoneAndWhole(ComputeUnit u, String pilot, List<String> uids) {
        int i = uids.indexOf(u.uid());
        assertThat(u.state()).as(u.uid()).isEqualTo(UnitState.DONE);
        assertThat(u.exitCode()).as(u.uid()).contains(0);
        assertThat(u.stdout()).as(u.uid()).isEqualTo("unit " + i + "\n");
        assertThat(u.pilot()).as(u.uid()).contains(pilot);
        assertThat(u.description().arguments()).as(u.uid()).containsExactly("unit " + i);
        assertThat(u.stateHistory()).as(u.uid()).extracting(e -> e.state())
                .contains(UnitState.EXECUTING, UnitState.DONE);
        assertThat(u.completion()).as(u.uid()).isCompleted();
    }

    /** The session's state on this node, the object {@link Session} holds (taken as one more holder, let go). */
    private static SessionState stateOf(Session session) {
        SessionState s = SessionService.of(session.processEngine()).reconnect(session.uid());
        s.detach(); // not the last holder: the session stays followed
        return s;
    }

    private static int held(Session session) {
        return stateOf(session).unitViewsHeld();
    }
}
