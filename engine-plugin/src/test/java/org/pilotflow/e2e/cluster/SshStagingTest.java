package org.pilotflow.e2e.cluster;

import java.util.Map;
import org.pilotflow.resource.config.ResourceConfig;

/** Units' staging directives on an {@code ssh://} pilot (the agent forked on the test sshd's host). */
class SshStagingTest extends ClusterStagingTest {

    @Override
    ResourceConfig resource(Map<String, String> sshd) {
        return ClusterFixture.sshFork(sshd);
    }
}
