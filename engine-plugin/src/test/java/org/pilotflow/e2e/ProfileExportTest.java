package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * A session's profile, from a real local pilot: every state of every pilot and unit, in RADICAL-Pilot's CSV shape,
 * each timed by the clock that saw it (the agent's for what the agent did, the engine's for the rest).
 */
class ProfileExportTest {

    @TempDir
    Path work;

    @Test
    void everyStateOfEveryPilotAndUnitIsOneEventTimedByTheClockThatSawIt() throws Exception {
        Path download;
        ComputeUnit unit;
        ComputePilot pilot;
        try (Session session = LocalFixture.session(work)) {
            pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(unit.waitFor(Duration.ofSeconds(120))).isEqualTo(UnitState.DONE);

            Path file = work.resolve("out/session.prof");
            int n = session.exportProfile(file);
            List<String> lines = Files.readAllLines(file);
            assertThat(lines.get(0)).isEqualTo("#time,event,comp,thread,uid,state,msg");
            assertThat(lines).hasSize(n + 1);
            List<String[]> rows = lines.subList(1, lines.size()).stream().map(l -> l.split(",", -1)).toList();
            assertThat(rows).allSatisfy(r -> {
                assertThat(r).hasSize(7);
                assertThat(r[0]).matches("\\d{10}\\.\\d{3}");
                assertThat(r[1]).isEqualTo("advance");
                assertThat(r[2]).isIn("agent", "engine");
            });
            assertThat(rows).extracting(r -> Double.parseDouble(r[0])).isSorted();
            List<String[]> ofUnit = rows.stream().filter(r -> r[4].equals(unit.uid())).toList();
            assertThat(ofUnit).extracting(r -> r[5]).containsExactlyElementsOf(
                    unit.stateHistory().stream().map(e -> e.state().name()).toList());
            assertThat(ofUnit).filteredOn(r -> r[5].equals("NEW")).extracting(r -> r[2]).containsExactly("engine");
            assertThat(ofUnit).filteredOn(r -> r[5].equals("EXECUTING")).extracting(r -> r[2])
                    .containsExactly("agent");
            assertThat(ofUnit).allSatisfy(r -> assertThat(r[6]).isEqualTo("attempt=1 pilot=" + pilot.uid()));
            assertThat(rows).filteredOn(r -> r[4].equals(pilot.uid()) && r[5].equals("ACTIVE"))
                    .extracting(r -> r[2]).containsExactly("agent");
            download = session.downloadDirectory();
            session.close(true, true);
        }
        assertThat(download.resolve(Session.PROFILE_FILE)).isRegularFile();
        assertThat(Files.readAllLines(download.resolve(Session.PROFILE_FILE)))
                .anyMatch(l -> l.contains("," + unit.uid() + ",DONE,"))
                .anyMatch(l -> l.contains("," + pilot.uid() + ",CANCELED,"));
    }
}
