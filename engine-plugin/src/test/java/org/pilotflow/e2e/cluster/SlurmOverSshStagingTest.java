package org.pilotflow.e2e.cluster;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pilotflow.e2e.StagingScenarios;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.testing.TestBackends;

/**
 * Units' staging directives on a {@code slurm+ssh://} pilot (a SLURM job reached over the test sshd), and the
 * pilot-level shared input linked into 100 units.
 */
class SlurmOverSshStagingTest extends ClusterStagingTest {

    @Override
    ResourceConfig resource(Map<String, String> sshd) {
        TestBackends.require("slurm");
        return ClusterFixture.slurmSsh(sshd);
    }

    @Test
    void pilotLevelSharedInputLinkedInto100Units() throws Exception {
        StagingScenarios.sharedInputLinkedIntoUnits(umgr, pilot, inputs.shared(), 100);
    }
}
