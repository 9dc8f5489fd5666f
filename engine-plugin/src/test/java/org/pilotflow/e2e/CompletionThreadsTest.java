package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * What a caller chains on a unit's {@code completion()} or on {@code cancelUnitsAsync} runs on PilotFlow's own
 * threads, not on the engine thread that committed the unit's end: dependents may block, here more of them than the
 * hand-over has threads and until another unit ends, and that unit's end still gets through. Real agent, real units.
 */
class CompletionThreadsTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);
    private static final String ASYNC_THREADS = "pilotflow-async-";

    @Test
    void dependentsRunOnPilotFlowsOwnThreadsAndMayBlock(@TempDir Path work) throws Exception {
        Path release = work.resolve("release");
        Path quickRelease = work.resolve("quick-release");
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            ComputeUnit held = umgr.submitUnit(waitingFor(release, ""));
            assertThat(held.waitFor(WITHIN, UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);

            // ends once its dependents are chained, so that none runs on this thread
            ComputeUnit quick = umgr.submitUnit(waitingFor(quickRelease, ""));
            // more dependents that block than a pool of processors + 1 threads would hold
            List<CompletableFuture<String>> quickDependents = new ArrayList<>();
            for (int i = 0; i < Runtime.getRuntime().availableProcessors() + 2; i++) {
                quickDependents.add(quick.completion().thenApply(u -> {
                    String thread = Thread.currentThread().getName();
                    try { // blocks the thread that completed quick's future until held has ended
                        held.completion().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("held's end never came while quick's dependent waited", e);
                    }
                    return thread;
                }));
            }
            Files.writeString(quickRelease, "");
            assertThat(quick.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(quick.completion()).as("a final unit's completion is done at once").isCompleted();

            Files.writeString(release, "");
            assertThat(held.waitFor(WITHIN)).as("held's end, while quick's dependents block").isEqualTo(UnitState.DONE);
            for (CompletableFuture<String> d : quickDependents) {
                assertThat(d.get(WITHIN.toSeconds(), TimeUnit.SECONDS)).startsWith(ASYNC_THREADS);
            }

            // ignores SIGTERM: its cancel ends only with the SIGKILL after the agent's grace (a second), long after
            // the dependent is chained
            ComputeUnit sleeper = umgr.submitUnit(waitingFor(work.resolve("never"), "trap '' TERM; "));
            assertThat(sleeper.waitFor(WITHIN, UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);
            CompletableFuture<String> canceled = umgr.cancelUnitsAsync(List.of(sleeper.uid()))
                    .thenApply(states -> states + " on " + Thread.currentThread().getName());
            assertThat(canceled.get(WITHIN.toSeconds(), TimeUnit.SECONDS))
                    .startsWith("[CANCELED] on " + ASYNC_THREADS);
        }
    }

    /** A unit that waits for {@code file} (at most 150 s, so a failed test leaves nothing running). */
    private static ComputeUnitDescription waitingFor(Path file, String first) {
        return ComputeUnitDescription.builder().executable("/bin/sh").arguments("-c", first
                + "i=0; while [ ! -e \"$0\" ] && [ $i -lt 3000 ]; do sleep 0.05; i=$((i+1)); done", file.toString())
                .build();
    }
}
