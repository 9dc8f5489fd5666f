package org.pilotflow.resource.batch;

import java.time.Duration;
import java.util.List;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.config.ResourceConfig;

/** One remote pilot for the job-script tests: 3 cores on 2-core nodes, 90 minutes, 2048 MB, queue and project. */
public final class ScriptFixtures {

    public static final String SANDBOX = "/scratch/u/pf/pilot.0001";
    public static final AgentStaging.Staged STAGED = new AgentStaging.Staged(SANDBOX, List.of(
            "/opt/jdk 17/bin/java", "-Xss512k", "-jar", "/scratch/u/pf/pilotflow-agent-0123456789ab.jar",
            SANDBOX + "/agent.json"));

    private ScriptFixtures() {
    }

    public static ResourceConfig.Builder resource(String scheme) {
        return ResourceConfig.builder("site.cluster")
                .schema("ssh", scheme + "://login.example.org/", "sftp://login.example.org/")
                .coresPerNode(2)
                .validRoots(List.of("/scratch"))
                .defaultRemoteWorkdir("/scratch/u/pf")
                .preBootstrap(List.of("module load jdk/17", "export OMP_NUM_THREADS=1"));
    }

    public static PilotLaunch launch(ResourceConfig rc, String pilotId, int gpus, String queue, String project,
                                     int memoryMb) {
        AgentConfig agent = new AgentConfig("s1", pilotId, List.of("http://engine:8080/sessions/s1"), "secret-xyz",
                SANDBOX, 3, gpus, 5400, 1000, 60000);
        return new PilotLaunch(agent, rc, rc.schema(), SANDBOX, false, "/opt/jdk 17/bin/java",
                Duration.ofMinutes(90), queue, project, memoryMb, 8080);
    }
}
