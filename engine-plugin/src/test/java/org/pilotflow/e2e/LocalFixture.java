package org.pilotflow.e2e;

import java.nio.file.Path;
import java.time.Duration;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;
import org.pilotflow.plugin.PilotFlowConfig;

/** A session on an embedded engine in a temporary work directory, with short heartbeat timings for tests. */
final class LocalFixture {
    private LocalFixture() {
    }

    static PilotFlowConfig config(Path work) {
        return PilotFlowConfig.builder()
                .workDirectory(work)
                .heartbeatInterval(Duration.ofMillis(500))
                .heartbeatTimeout(Duration.ofSeconds(4))
                .launchTimeout(Duration.ofSeconds(60))
                .cancelGrace(Duration.ofSeconds(10))
                .jobPollInterval(Duration.ofSeconds(1))
                .build();
    }

    static Session session(Path work) {
        return Session.builder().config(config(work)).create();
    }

    static ComputePilotDescription.Builder localPilot(Path work, int cores) {
        return ComputePilotDescription.builder()
                .resource("local.localhost")
                .runtime(Duration.ofMinutes(10))
                .cores(cores)
                .sandbox(work.resolve("sandboxes").toString());
    }

    static ComputePilot activePilot(PilotManager pmgr, Path work, int cores) {
        ComputePilot p = pmgr.submitPilot(localPilot(work, cores).build());
        p.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE);
        return p;
    }
}
