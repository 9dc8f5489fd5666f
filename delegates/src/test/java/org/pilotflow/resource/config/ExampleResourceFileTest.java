package org.pilotflow.resource.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The commented example in docs/resources, which the README points to, stays loadable and means what it says. */
class ExampleResourceFileTest {

    @Test
    void loadsAndDescribesASlurmClusterOverSsh() {
        ResourceRegistry registry = ResourceRegistry.empty();
        assertThat(registry.loadFile(Path.of("..", "docs", "resources", "resource_example.json")))
                .containsExactly("example.cluster");
        ResourceConfig rc = registry.get("example.cluster");
        assertThat(rc.jobManagerEndpoint().scheme()).isEqualTo("slurm+ssh");
        assertThat(rc.jobManagerEndpoint().access()).isEqualTo(Access.SSH);
        assertThat(rc.schema("local").jobManagerEndpoint().scheme()).isEqualTo("slurm");
        assertThat(rc.coresPerNode()).isEqualTo(48);
        assertThat(rc.mandatoryArgs()).containsExactly("project");
        assertThat(rc.jobManagerEnvironment()).containsEntry("SLURM_CONF", "/etc/slurm/slurm.conf");
        assertThat(rc.launchMethods().order()).containsExactly(LaunchMethod.SRUN, LaunchMethod.MPIEXEC,
                LaunchMethod.FORK);
        assertThat(rc.channelMode()).isEqualTo(ChannelMode.DIRECT);
        assertThat(rc.hostKeyChecking()).isTrue();
        assertThat(rc.validRoots()).containsExactly("$HOME", "/scratch/alice");
    }
}
