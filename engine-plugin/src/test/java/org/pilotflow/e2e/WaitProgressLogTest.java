package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.slf4j.LoggerFactory;

/** A wait longer than the progress interval (10 s) tells a person where it stands, one line at a time. */
class WaitProgressLogTest {

    @TempDir
    Path work;

    @Test
    void aWaitLongerThanTheIntervalLogsProgress() throws Exception {
        Logger progress = (Logger) LoggerFactory.getLogger("org.pilotflow.progress");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        progress.addAppender(lines);
        try (Session session = LocalFixture.session(work)) {
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(LocalFixture.activePilot(session.createPilotManager(), work, 2));
            List<ComputeUnit> slow = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().executable("/bin/sleep").arguments("12").build(),
                    ComputeUnitDescription.builder().executable("/bin/true").build()));
            assertThat(umgr.waitUnits(List.of(slow.get(0).uid(), slow.get(1).uid()), List.of(UnitState.DONE),
                    Duration.ofSeconds(180))).containsOnly(UnitState.DONE);
            assertThat(lines.list).isNotEmpty();
            assertThat(lines.list.get(0).getFormattedMessage()).startsWith("waiting for 2 units: ")
                    .contains(" not yet {").contains("/s over ");
        } finally {
            progress.detachAppender(lines);
        }
    }
}
