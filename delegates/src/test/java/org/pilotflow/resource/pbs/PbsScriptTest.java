package org.pilotflow.resource.pbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.ScriptFixtures;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.InvalidDescriptionException;
import org.pilotflow.resource.config.ResourceConfigException;

class PbsScriptTest {

    private final Pbs pbs = new Pbs();
    private final ResourceConfig rc = ScriptFixtures.resource("pbs+ssh").build();

    @Test
    void everyOptionGivenGivesThisScript() {
        String script = pbs.script(ScriptFixtures.launch(rc, "pilot.0001", 0, "debug", "abc123", 2048),
                ScriptFixtures.STAGED);

        assertThat(script).isEqualTo("""
                #!/bin/sh
                #PBS -N pilot.0001.s1
                #PBS -o /scratch/u/pf/pilot.0001/pilot.out
                #PBS -e /scratch/u/pf/pilot.0001/pilot.err
                #PBS -l walltime=1:31:00
                #PBS -k oed
                #PBS -l select=1:ncpus=2:mpiprocs=2:mem=2048mb+1:ncpus=1:mpiprocs=1:mem=2048mb
                #PBS -r n
                #PBS -q debug
                #PBS -A abc123
                # PilotFlow pilot pilot.0001: starts its agent (log: agent.log); the pilot secret is in agent.json (0600), not here
                cd /scratch/u/pf/pilot.0001
                module load jdk/17
                export OMP_NUM_THREADS=1
                exec '/opt/jdk 17/bin/java' -Xss512k -jar /scratch/u/pf/pilotflow-agent-0123456789ab.jar /scratch/u/pf/pilot.0001/agent.json >> /scratch/u/pf/pilot.0001/agent.log 2>&1
                """);
        assertThat(script).doesNotContain("secret-xyz");
    }

    @Test
    void torqueSyntaxAsksForNodesAndPpnAndMemoryForTheWholeJob() {
        ResourceConfig torque = ScriptFixtures.resource("pbs+ssh").batchSystemKey("pbs_resource_syntax", "nodes")
                .build();
        assertThat(pbs.script(ScriptFixtures.launch(torque, "p", 0, null, null, 1024), ScriptFixtures.STAGED))
                .contains("#PBS -l nodes=1:ppn=2+1:ppn=1\n#PBS -l mem=2048mb\n")
                .doesNotContain("#PBS -k") // Torque's -k has no "d" (direct write)
                .doesNotContain("select=").doesNotContain("-q ").doesNotContain("-A ");
    }

    @Test
    void wholeNodesAreOneChunkAndGpusGoIntoTheChunkOfAOneNodePilot() {
        ResourceConfig wide = ScriptFixtures.resource("pbs+ssh").coresPerNode(3).build();
        assertThat(pbs.script(ScriptFixtures.launch(wide, "p", 2, null, null, 0), ScriptFixtures.STAGED))
                .contains("#PBS -l select=1:ncpus=3:mpiprocs=3:ngpus=2\n");
        ResourceConfig single = ScriptFixtures.resource("pbs+ssh").coresPerNode(1).build();
        assertThat(pbs.script(ScriptFixtures.launch(single, "p", 0, null, null, 0), ScriptFixtures.STAGED))
                .contains("#PBS -l select=3:ncpus=1:mpiprocs=1\n");
    }

    @Test
    void gpusOnAPilotOfSeveralNodesAreRefusedSayingWhy() {
        assertThatThrownBy(() -> pbs.script(ScriptFixtures.launch(rc, "p", 1, null, null, 0), ScriptFixtures.STAGED))
                .isInstanceOf(InvalidDescriptionException.class)
                .hasMessage("field \"gpus\" is \"1\", expected 0 on a pilot of 2 nodes (3 cores, cores_per_node 2): PBS "
                        + "GPUs are requested for one-node pilots only (a pilot's GPUs are on its first node)");
    }

    @Test
    void aBadResourceSyntaxIsAConfigErrorNamingKeyValueAndExpected() {
        assertThatThrownBy(() -> ScriptFixtures.resource("pbs+ssh").batchSystemKey("pbs_resource_syntax", "chunks")
                .build())
                .isInstanceOf(ResourceConfigException.class)
                .hasMessageContaining("site.cluster/pbs_resource_syntax")
                .hasMessageContaining("\"chunks\"")
                .hasMessageContaining("\"select\" (PBS Pro, OpenPBS: -l select=...) or \"nodes\"");
    }

    @Test
    void wallTimeIsHoursMinutesSeconds() {
        assertThat(Pbs.wallTime(Duration.ofSeconds(61))).isEqualTo("0:01:01");
        assertThat(Pbs.wallTime(Duration.ofHours(49).plusSeconds(1))).isEqualTo("49:00:01");
    }
}
