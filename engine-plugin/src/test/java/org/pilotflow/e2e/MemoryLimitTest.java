package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * A unit's memory limit travels to a real local agent, which samples the unit's process tree every 100 ms: a unit
 * over its limit is killed with limit and peak in its reason; every sampled unit's profile comes back to the
 * engine, is stored, and is seen through {@link ComputeUnit#memory()}.
 */
class MemoryLimitTest {

    private static final long MIB = 1024 * 1024;
    private static final Duration WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path work;

    @Test
    void aUnitOverItsLimitIsKilledAndEveryUnitReportsItsMemory() throws Exception {
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .memorySampleInterval(Duration.ofMillis(100)).build()).create()) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            // tail keeps a line without a newline whole in memory: 300 MB of zeros, held until the kill
            ComputeUnit hog = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "(head -c 300000000 /dev/zero; sleep 600) | tail -n 1 > /dev/null")
                    .memoryMb(100).build());
            ComputeUnit small = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("2").memoryMb(100).build());

            assertThat(hog.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(hog.failureReason()).get().asString().matches("memory limit exceeded: peak \\d+\\.\\d MiB "
                    + "\\(pss\\+swap of its processes\\), limit 100\\.0 MiB");
            MemoryProfile m = hog.memory().orElseThrow();
            assertThat(m.limitBytes()).isEqualTo(100 * MIB);
            assertThat(m.peakUsed()).isGreaterThan(100 * MIB);
            assertThat(m.samples()).isNotEmpty();

            assertThat(small.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            MemoryProfile s = small.memory().orElseThrow();
            assertThat(s.peakUsed()).isPositive().isLessThan(100 * MIB);
            assertThat(s.samples()).hasSizeGreaterThanOrEqualTo(5);
            assertThat(s.leaking()).isFalse();
        }
    }

    @Test
    void aMemoryLimitOutOfRangeIsABadParameter() {
        for (long bad : List.of(-1L, ComputeUnitDescription.MAX_MEMORY_MB + 1)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ComputeUnitDescription.builder()
                            .executable("/bin/true").memoryMb(bad).build())
                    .isInstanceOf(BadParameter.class)
                    .hasMessageContaining("memoryMb").hasMessageContaining(Long.toString(bad))
                    .hasMessageContaining("or 0 for no limit");
        }
    }
}
