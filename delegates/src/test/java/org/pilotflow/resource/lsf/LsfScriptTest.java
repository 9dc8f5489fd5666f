package org.pilotflow.resource.lsf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.ScriptFixtures;
import org.pilotflow.resource.config.ResourceConfig;

class LsfScriptTest {

    private final Lsf lsf = new Lsf();
    private final ResourceConfig rc = ScriptFixtures.resource("lsf+ssh").build();

    @Test
    void everyOptionGivenGivesThisScript() {
        String script = lsf.script(ScriptFixtures.launch(rc, "pilot.0001", 0, "debug", "abc123", 2048),
                ScriptFixtures.STAGED);

        assertThat(script).isEqualTo("""
                #!/bin/sh
                #BSUB -J pilot.0001.s1
                #BSUB -o /scratch/u/pf/pilot.0001/pilot.out
                #BSUB -e /scratch/u/pf/pilot.0001/pilot.err
                #BSUB -cwd /scratch/u/pf/pilot.0001
                #BSUB -W 1:31
                #BSUB -n 3
                #BSUB -R span[ptile=2]
                #BSUB -env none
                #BSUB -L /bin/sh
                #BSUB -rn
                #BSUB -q debug
                #BSUB -P abc123
                #BSUB -M 2048MB
                # PilotFlow pilot pilot.0001: starts its agent (log: agent.log); the pilot secret is in agent.json (0600), not here
                module load jdk/17
                export OMP_NUM_THREADS=1
                exec '/opt/jdk 17/bin/java' -Xss512k -jar /scratch/u/pf/pilotflow-agent-0123456789ab.jar /scratch/u/pf/pilot.0001/agent.json >> /scratch/u/pf/pilot.0001/agent.log 2>&1
                """);
        assertThat(script).doesNotContain("secret-xyz").doesNotContain("rusage"); // -M is a limit, not a reservation
    }

    @Test
    void aOneHostPilotStaysOnOneHostAndGetsItsGpus() {
        ResourceConfig wide = ScriptFixtures.resource("lsf+ssh").coresPerNode(8).build();
        assertThat(lsf.script(ScriptFixtures.launch(wide, "p", 2, null, null, 0), ScriptFixtures.STAGED))
                .contains("#BSUB -n 3\n#BSUB -R span[hosts=1]\n").contains("#BSUB -gpu num=2\n")
                .doesNotContain("-q ").doesNotContain("-P ").doesNotContain("-M ");
    }

    @Test
    void gpusOnAPilotOfSeveralHostsAreRefusedSayingWhy() {
        assertThatThrownBy(() -> lsf.script(ScriptFixtures.launch(rc, "p", 1, null, null, 0), ScriptFixtures.STAGED))
                .isInstanceOf(org.pilotflow.resource.config.InvalidDescriptionException.class)
                .hasMessageStartingWith("field \"gpus\" is \"1\", expected 0 on a pilot of 2 hosts (3 cores, "
                        + "cores_per_node 2)");
    }

    @Test
    void runLimitIsRoundedUpToWholeMinutes() {
        assertThat(Lsf.runLimit(Duration.ofSeconds(61))).isEqualTo("0:02");
        assertThat(Lsf.runLimit(Duration.ofHours(49).plusSeconds(1))).isEqualTo("49:01");
    }
}
