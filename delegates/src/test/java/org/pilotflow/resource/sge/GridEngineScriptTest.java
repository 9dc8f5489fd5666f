package org.pilotflow.resource.sge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.ScriptFixtures;
import org.pilotflow.resource.config.ResourceConfig;

class GridEngineScriptTest {

    private final GridEngine sge = new GridEngine();

    @Test
    void everyOptionGivenGivesThisScript() {
        ResourceConfig rc = ScriptFixtures.resource("sge+ssh").batchSystemKey("sge_parallel_environment", "mpi").build();
        String script = sge.script(ScriptFixtures.launch(rc, "pilot.0001", 0, "all.q", "abc123", 2048),
                ScriptFixtures.STAGED);

        assertThat(script).isEqualTo("""
                #!/bin/sh
                #$ -N pilot.0001.s1
                #$ -o /scratch/u/pf/pilot.0001/pilot.out
                #$ -e /scratch/u/pf/pilot.0001/pilot.err
                #$ -wd /scratch/u/pf/pilot.0001
                #$ -S /bin/sh
                #$ -pe mpi 3
                #$ -l h_rt=5460
                #$ -r n
                #$ -q all.q
                #$ -P abc123
                #$ -l mem_free=2048M
                # PilotFlow pilot pilot.0001: starts its agent (log: agent.log); the pilot secret is in agent.json (0600), not here
                module load jdk/17
                export OMP_NUM_THREADS=1
                exec '/opt/jdk 17/bin/java' -Xss512k -jar /scratch/u/pf/pilotflow-agent-0123456789ab.jar /scratch/u/pf/pilot.0001/agent.json >> /scratch/u/pf/pilot.0001/agent.log 2>&1
                """);
        assertThat(script).doesNotContain("secret-xyz").doesNotContain("-V");
    }

    @Test
    void defaultParallelEnvironmentIsSmpAndOptionalDirectivesAreLeftOut() {
        ResourceConfig rc = ScriptFixtures.resource("sge+ssh").build();
        String script = sge.script(ScriptFixtures.launch(rc, "pilot.0002", 0, null, null, 0), ScriptFixtures.STAGED);

        assertThat(script).contains("#$ -pe smp 3\n")
                .doesNotContain("-q ").doesNotContain("-P ").doesNotContain("mem_free");
    }

    @Test
    void gpusAreRefusedRatherThanIgnored() {
        ResourceConfig rc = ScriptFixtures.resource("sge+ssh").build();
        assertThatThrownBy(() -> sge.script(ScriptFixtures.launch(rc, "p", 1, null, null, 0), ScriptFixtures.STAGED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("asks for 1 GPUs, but Grid Engine has no standard GPU request");
    }
}
