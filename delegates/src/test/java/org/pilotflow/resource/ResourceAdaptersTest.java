package org.pilotflow.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.BatchAdapter;
import org.pilotflow.resource.batch.BatchSystem;
import org.pilotflow.resource.batch.BatchSystems;
import org.pilotflow.resource.config.BatchSystemCatalog;
import org.pilotflow.resource.config.BatchSystemInfo;

/** The installed batch systems as the ServiceLoader finds them, and the adapters chosen by scheme. */
class ResourceAdaptersTest {

    @Test
    void theServiceFileInstallsEveryBatchSystemWithItsDeclaration() {
        BatchSystemCatalog catalog = BatchSystemCatalog.installed();

        assertThat(BatchSystems.of(catalog)).extracting(s -> s.info().name())
                .containsExactly("SLURM", "SGE", "PBS", "LSF");
        assertThat(catalog.schemes()).containsExactly("fork", "lsf", "lsf+ssh", "pbs", "pbs+ssh", "sge", "sge+ssh",
                "slurm", "slurm+ssh", "ssh");
        assertThat(catalog.configKeys()).containsOnlyKeys("sge_parallel_environment", "pbs_resource_syntax");
        assertThat(BatchSystems.of(catalog).stream().collect(Collectors.toMap(s -> s.info().scheme(),
                s -> s.info().nodeList().variable()))).containsOnly(
                java.util.Map.entry("slurm", "SLURM_JOB_NODELIST"), java.util.Map.entry("sge", "PE_HOSTFILE"),
                java.util.Map.entry("pbs", "PBS_NODEFILE"), java.util.Map.entry("lsf", "LSB_MCPU_HOSTS"));
    }

    @Test
    void eachSchemeOfEachSystemGetsThatSystemsBatchAdapter() throws Exception {
        ResourceAdapters adapters = new ResourceAdapters();
        for (BatchSystem system : BatchSystems.of(BatchSystemCatalog.installed())) {
            for (String scheme : system.info().schemes()) {
                String endpoint = scheme + (scheme.endsWith("+ssh") ? "://login1/" : "://localhost/");
                assertThat(adapters.forEndpoint(endpoint)).as(endpoint)
                        .isInstanceOfSatisfying(BatchAdapter.class,
                                a -> assertThat(a.system().info()).isEqualTo(system.info()));
            }
        }
    }

    @Test
    void anUnknownOrMalformedEndpointNamesTheValueAndTheSchemesThisBuildSupports() {
        ResourceAdapters adapters = new ResourceAdapters();
        assertThatThrownBy(() -> adapters.forEndpoint("pbz+ssh://login1/"))
                .isInstanceOf(ResourceException.class)
                .hasMessage("no resource adapter for job manager endpoint 'pbz+ssh://login1/'; this build supports "
                        + "[fork, lsf, lsf+ssh, pbs, pbs+ssh, sge, sge+ssh, slurm, slurm+ssh, ssh]");
        assertThatThrownBy(() -> adapters.forEndpoint("pbs ://login1/"))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("no resource adapter for job manager endpoint 'pbs ://login1/'; this build");
    }

    @Test
    void aDeclarationWithABadSchemeOrDefaultIsRefusedNamingIt() {
        assertThatThrownBy(() -> new BatchSystemInfo("X", "Pbs+ssh", List.of(),
                new BatchSystemInfo.NodeListSource("X_NODES", "hosts")))
                .hasMessageStartingWith("batch system X: scheme 'Pbs+ssh' must be lower-case letters");
        assertThatThrownBy(() -> new BatchSystemInfo.ConfigKey("x_mode", "fast", java.util.regex.Pattern.compile("a|b"),
                "\"a\" or \"b\""))
                .hasMessage("config key x_mode: default 'fast' is not \"a\" or \"b\"");
    }
}
