package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;

/**
 * Data staging end to end, through the engine and a real local agent: a pilot stages a shared input once into its
 * sandbox, units link it and copy a file of their own in, run {@code cat} and {@code wc} on them, and stage their
 * results out to {@code resource://}; a unit whose input is missing fails naming the directive.
 */
class StagingTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path work;

    @Test
    void aPilotSharesAnInputAndUnitsStageInRunAndStageOut() throws Exception {
        Path resource = Files.createDirectories(work.resolve("sandboxes")); // resource:// of LocalFixture's pilots
        Files.writeString(resource.resolve("words.txt"), "alpha beta gamma delta\n");
        Files.createDirectories(resource.resolve("inputs"));
        Files.writeString(resource.resolve("inputs/greeting.txt"), "hello from resource://\n");
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = pmgr.submitPilot(LocalFixture.localPilot(work, 2)
                    .inputStaging("resource:///words.txt").build()); // to pilot:///words.txt, once
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            List<ComputeUnit> counters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                counters.add(umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                        .arguments("-c", "wc -w < words.txt > count.txt")
                        .inputStaging(List.of(StagingDirective.link("pilot:///words.txt", "words.txt")))
                        .outputStaging("count.txt > resource:///results/count-" + i + ".txt")
                        .build()));
            }
            ComputeUnit cat = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("greeting.txt")
                    .inputStaging(List.of(StagingDirective.copy("resource:///inputs/greeting.txt", ""))).build());
            ComputeUnit missing = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging("pilot:///no-such-file.txt").build());

            for (int i = 0; i < 3; i++) {
                assertThat(counters.get(i).waitFor(WITHIN)).as("%s", counters.get(i).failureReason())
                        .isEqualTo(UnitState.DONE);
                assertThat(Files.readString(resource.resolve("results/count-" + i + ".txt")).strip()).isEqualTo("4");
            }
            assertThat(counters.get(0).stateHistory()).extracting(StateEntry::state).contains(UnitState.STAGING_INPUT,
                    UnitState.PENDING_EXECUTION, UnitState.EXECUTING, UnitState.STAGING_OUTPUT, UnitState.DONE);
            Path pilotSandbox = Path.of(pilot.sandbox());
            assertThat(Files.readString(pilotSandbox.resolve("words.txt"))).isEqualTo("alpha beta gamma delta\n");
            Path linked = Path.of(counters.get(1).sandbox().orElseThrow()).resolve("words.txt");
            assertThat(Files.isSymbolicLink(linked)).isTrue();
            assertThat(Files.readSymbolicLink(linked)).isEqualTo(pilotSandbox.resolve("words.txt").toRealPath());

            assertThat(cat.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(cat.stdout()).isEqualTo("hello from resource://\n");

            assertThat(missing.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(missing.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(missing.failureReason()).get().asString().startsWith("input staging [0] "
                    + "'pilot:///no-such-file.txt > unit:///no-such-file.txt' (TRANSFER, [CREATE_PARENTS]) failed: "
                    + "source " + pilotSandbox.resolve("no-such-file.txt") + " does not exist");
        }
    }

    @Test
    void aPilotWhoseInputIsMissingFailsNamingIt() {
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1)
                    .inputStaging("session:///absent.db").build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).get().asString().startsWith("pilot input staging [0] 'session:///absent.db > "
                    + "pilot:///absent.db' (TRANSFER, [CREATE_PARENTS]) failed: source ");
        }
    }
}
