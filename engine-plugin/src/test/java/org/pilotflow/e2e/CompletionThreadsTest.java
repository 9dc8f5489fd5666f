package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * threads, not on the engine thread that committed the unit's end: a dependent may block, here until another unit
 * ends, and that unit's end still gets through. Real agent, real units.
 */
class CompletionThreadsTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);
    private static final String ASYNC_THREADS = "pilotflow-async-";

    @Test
    void dependentsRunOnPilotFlowsOwnThreadsAndMayBlock(@TempDir Path work) throws Exception {
        Path release = work.resolve("release");
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            // waits for the release file (at most 150 s, so a failed test leaves nothing running)
            ComputeUnit held = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "i=0; while [ ! -e \"$0\" ] && [ $i -lt 3000 ]; do sleep 0.05; i=$((i+1)); done",
                            release.toString()).build());
            assertThat(held.waitFor(WITHIN, UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);

            ComputeUnit quick = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            CompletableFuture<String> quickDependent = quick.completion().thenApply(u -> {
                String thread = Thread.currentThread().getName();
                try { // blocks the thread that completed quick's future until held has ended
                    held.completion().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("held's end never came while quick's dependent waited", e);
                }
                return thread;
            });
            assertThat(quick.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(quick.completion()).as("a final unit's completion is done at once").isCompleted();

            Files.writeString(release, "");
            assertThat(held.waitFor(WITHIN)).as("held's end, while quick's dependent blocks").isEqualTo(UnitState.DONE);
            assertThat(quickDependent.get(WITHIN.toSeconds(), TimeUnit.SECONDS)).startsWith(ASYNC_THREADS);

            ComputeUnit sleeper = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("100").build());
            assertThat(sleeper.waitFor(WITHIN, UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);
            CompletableFuture<String> canceled = umgr.cancelUnitsAsync(List.of(sleeper.uid()))
                    .thenApply(states -> states + " on " + Thread.currentThread().getName());
            assertThat(canceled.get(WITHIN.toSeconds(), TimeUnit.SECONDS))
                    .startsWith("[CANCELED] on " + ASYNC_THREADS);
        }
    }
}
