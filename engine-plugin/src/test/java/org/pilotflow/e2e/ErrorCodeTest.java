package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;

/**
 * Error codes and the restart policy, played against a fake agent over the real endpoint: a restartable unit that
 * ends with a recoverable code runs again, up to {@link ErrorCode#MAX_ATTEMPTS}; a fatal code ends it at once;
 * codes the engine gives itself (a cancel, no pilot that fits) are on the unit too.
 */
class ErrorCodeTest {

    private static final Duration WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path work;

    @Test
    void aRestartableUnitRunsAgainOnARecoverableCodeUpToTheLimitAndNeverOnAFatalOne() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            FakeAgent.Player agent = fake.player(fake.awaitLaunch(pilot.uid()));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit again = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .restartable(true).build());
            ComputeUnit fatal = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .restartable(true).build());

            agent.awaitRun(fatal.uid(), 1);
            agent.failed(fatal.uid(), ErrorCode.EXIT_CODE, "exit code 3");
            assertThat(fatal.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(fatal.errorCode()).contains(ErrorCode.EXIT_CODE);
            assertThat(attempts(fatal)).containsOnly(1);

            for (int attempt = 1; attempt <= ErrorCode.MAX_ATTEMPTS; attempt++) {
                agent.awaitRun(again.uid(), attempt); // each attempt is bound again, here to the only pilot
                agent.failed(again.uid(), ErrorCode.SANDBOX_FAILED, "cannot create the unit sandbox");
            }
            assertThat(again.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(again.errorCode()).contains(ErrorCode.SANDBOX_FAILED);
            assertThat(again.failureReason()).get().asString()
                    .isEqualTo("cannot create the unit sandbox; attempt 3 of 3, not restarted again");
            assertThat(attempts(again)).containsOnly(1, 2, 3);
            // each attempt's EXECUTING, which the agent timed in its FAILED report, is history: restarted or not
            assertThat(again.stateHistory()).filteredOn(e -> e.state() == UnitState.EXECUTING)
                    .extracting(e -> e.attempt() + "/" + e.clock()).containsExactly("1/agent", "2/agent", "3/agent");
        }
    }

    @Test
    void aUnitFailedByItsEndingPilotRunsAgainElsewhereOnlyOnceThatPilotIsGone() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            var pmgr = session.createPilotManager();
            ComputePilot ending = pmgr.submitPilot(LocalFixture.localPilot(work, 2).build());
            FakeAgent.Player a = fake.player(fake.awaitLaunch(ending.uid()));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(ending);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .restartable(true).build());
            a.awaitRun(unit.uid(), 1);
            ComputePilot next = pmgr.submitPilot(LocalFixture.localPilot(work, 2).build());
            FakeAgent.Player b = fake.player(fake.awaitLaunch(next.uid()));
            umgr.addPilot(next);

            // the agent's runtime expired: it fails the unit, but its pilot is still ACTIVE for the engine
            a.failed(unit.uid(), ErrorCode.PILOT_RUNTIME_EXPIRED, "pilot runtime expired after 60 s");
            assertThat(unit.state().isFinal()).as("left for the pilot's end, not bound again to it").isFalse();
            assertThat(attempts(unit)).containsOnly(1);
            assertThat(unit.stateHistory()).as("the steps the agent timed before the end")
                    .filteredOn(e -> e.state() == UnitState.EXECUTING).extracting(e -> e.clock())
                    .containsExactly("agent");

            a.report(FakeAgent.pilot(++a.seq, "DONE"));
            fake.gone.add(FakeAgent.jobId(ending.uid()));
            b.awaitRun(unit.uid(), 1); // attempt 2, on the other pilot
            assertThat(a.runs.get(unit.uid())).as("RUN_UNITs the ending pilot got").isEqualTo(1);
            assertThat(attempts(unit)).contains(2);
            assertThat(unit.pilot()).contains(next.uid());
        }
    }

    @Test
    void theEngineGivesCodesToTheEndsItDecides() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            fake.awaitLaunch(pilot.uid()); // no agent: its units are canceled at once
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit tooBig = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").cores(64)
                    .build());
            ComputeUnit canceled = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(tooBig.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(tooBig.errorCode()).contains(ErrorCode.NO_PILOT);
            umgr.cancelUnits(List.of(canceled.uid()));
            assertThat(canceled.state()).isEqualTo(UnitState.CANCELED);
            assertThat(canceled.errorCode()).contains(ErrorCode.CANCELED);
            ComputeUnit running = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(running.errorCode()).isEmpty();
        }
    }

    private static List<Integer> attempts(ComputeUnit u) {
        List<Integer> out = new ArrayList<>();
        for (StateEntry<UnitState> e : u.stateHistory()) {
            out.add(e.attempt());
        }
        return out;
    }
}
