package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;

/**
 * A submission of more than 200 units returns once they are stored; this node starts their processes after it, in
 * order. What a user can meet on the way: a later submission that would overtake, a cancel before the process
 * started, a process that cannot start. (A crash between storing and starting: {@link SubmitCrashTest}.)
 */
class LargeSubmissionTest {

    @TempDir
    Path work;

    private static List<ComputeUnitDescription> trues(int n) {
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
        }
        return ds;
    }

    private static Instant entered(ComputeUnit u, UnitState state) {
        return u.stateHistory().stream().filter(e -> e.state() == state).map(StateEntry::time).findFirst()
                .orElseThrow(() -> new AssertionError(u.uid() + " never was " + state + ": " + u.stateHistory()));
    }

    @Test
    void aLargeSubmissionRunsInOrderAndALaterSmallOneWaitsBehindIt() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            List<ComputeUnit> large = umgr.submitUnits(trues(600));
            List<ComputeUnit> small = umgr.submitUnits(trues(3)); // while the large one's processes start
            assertThat(umgr.listUnits()).hasSize(603);

            List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(3));
            assertThat(states).hasSize(603).containsOnly(UnitState.DONE);
            List<ComputeUnit> all = new ArrayList<>(umgr.getUnits(large.stream().map(ComputeUnit::uid).toList()));
            all.addAll(umgr.getUnits(small.stream().map(ComputeUnit::uid).toList()));
            for (int i = 1; i < all.size(); i++) { // scheduled (process started) in the order submitted
                assertThat(entered(all.get(i), UnitState.UNSCHEDULED))
                        .as("%s scheduled no earlier than %s", all.get(i).uid(), all.get(i - 1).uid())
                        .isAfterOrEqualTo(entered(all.get(i - 1), UnitState.UNSCHEDULED));
            }
            LocalFixture.awaitNoInstances(session.processEngine(), BpmnContract.UNIT_PROCESS);
        }
    }

    @Test
    void unitsCanceledBeforeTheirProcessesStartedEndCanceledAndTheRestWait() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            UnitManager umgr = session.createUnitManager(); // no pilot: started units wait UNSCHEDULED
            List<ComputeUnit> units = umgr.submitUnits(trues(2000));
            List<String> last = units.subList(1990, 2000).stream().map(ComputeUnit::uid).toList();
            // right after the call, most of them have no process yet; whichever the cancel meets, it ends them
            assertThat(umgr.cancelUnits(last, Duration.ofSeconds(60))).containsOnly(UnitState.CANCELED);
            List<String> rest = units.subList(0, 1990).stream().map(ComputeUnit::uid).toList();
            assertThat(umgr.waitUnits(rest, List.of(UnitState.UNSCHEDULED), Duration.ofMinutes(2)))
                    .containsOnly(UnitState.UNSCHEDULED);
            for (ComputeUnit u : umgr.getUnits(last)) {
                assertThat(u.state()).isEqualTo(UnitState.CANCELED);
                assertThat(u.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("canceled on request"));
            }
            ProcessEngine engine = session.processEngine();
            for (String uid : last) { // none waits for a unit that has ended (a started one ends in a job of its own)
                LocalFixture.await("no process instance of " + uid, () -> engine.getRuntimeService()
                        .createProcessInstanceQuery().processInstanceBusinessKey(uid).count() == 0,
                        Duration.ofSeconds(60));
            }
            assertThat(engine.getRuntimeService().createProcessInstanceQuery()
                    .processDefinitionKey(BpmnContract.UNIT_PROCESS).count()).isEqualTo(1990);
        }
    }

    @Test
    void unitsWhoseProcessesCannotStartFailWithTheReason() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine engine = session.processEngine();
            UnitManager umgr = session.createUnitManager();
            // an operator suspended the unit process definition in Cockpit: no instance of it can start
            engine.getRepositoryService().suspendProcessDefinitionByKey(BpmnContract.UNIT_PROCESS);
            List<String> uids = umgr.submitUnits(trues(300)).stream().map(ComputeUnit::uid).toList();
            assertThat(umgr.waitUnits(uids, List.of(), Duration.ofMinutes(2))).containsOnly(UnitState.FAILED);
            for (ComputeUnit u : umgr.getUnits(uids)) {
                assertThat(u.errorCode()).contains(ErrorCode.UNKNOWN);
                assertThat(u.failureReason()).hasValueSatisfying(r -> assertThat(r)
                        .startsWith("its process could not be started: ").containsIgnoringCase("suspended"));
            }

            engine.getRepositoryService().activateProcessDefinitionByKey(BpmnContract.UNIT_PROCESS);
            List<String> later = umgr.submitUnits(trues(300)).stream().map(ComputeUnit::uid).toList();
            assertThat(umgr.waitUnits(later, List.of(UnitState.UNSCHEDULED), Duration.ofMinutes(2)))
                    .containsOnly(UnitState.UNSCHEDULED);
        }
    }
}
