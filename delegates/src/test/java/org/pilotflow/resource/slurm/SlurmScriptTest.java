package org.pilotflow.resource.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.batch.ScriptFixtures;
import org.pilotflow.resource.config.ResourceConfig;

class SlurmScriptTest {

    private final Slurm slurm = new Slurm();
    private final ResourceConfig rc = ScriptFixtures.resource("slurm+ssh").build();

    @Test
    void everyOptionGivenGivesThisScript() {
        String script = slurm.script(ScriptFixtures.launch(rc, "pilot.0001", 0, "debug", "abc123", 2048),
                ScriptFixtures.STAGED);

        assertThat(script).isEqualTo("""
                #!/bin/sh
                #SBATCH --job-name=pilot.0001.s1
                #SBATCH --output=/scratch/u/pf/pilot.0001/pilot.out
                #SBATCH --error=/scratch/u/pf/pilot.0001/pilot.err
                #SBATCH --chdir=/scratch/u/pf/pilot.0001
                #SBATCH --time=1:31:00
                #SBATCH --nodes=2
                #SBATCH --ntasks=3
                #SBATCH --partition=debug
                #SBATCH --account=abc123
                #SBATCH --mem=2048
                #SBATCH --export=NONE
                #SBATCH --no-requeue
                #SBATCH --no-kill
                # PilotFlow pilot pilot.0001: starts its agent (log: agent.log); the pilot secret is in agent.json (0600), not here
                unset SLURM_EXPORT_ENV
                module load jdk/17
                export OMP_NUM_THREADS=1
                exec '/opt/jdk 17/bin/java' -Xss512k -jar /scratch/u/pf/pilotflow-agent-0123456789ab.jar /scratch/u/pf/pilot.0001/agent.json >> /scratch/u/pf/pilot.0001/agent.log 2>&1
                """);
        assertThat(script).doesNotContain("secret-xyz");
    }

    @Test
    void optionalDirectivesAreLeftOutAndGpusAreAskedFor() {
        String script = slurm.script(ScriptFixtures.launch(rc, "pilot.0002", 2, null, null, 0), ScriptFixtures.STAGED);

        assertThat(script).contains("#SBATCH --gpus=2\n")
                .doesNotContain("--partition").doesNotContain("--account").doesNotContain("--mem");
    }

    @Test
    void nodesAreCoresOverCoresPerNodeRoundedUp() {
        ResourceConfig wide = ScriptFixtures.resource("slurm+ssh").coresPerNode(48).build();
        assertThat(slurm.script(ScriptFixtures.launch(wide, "p", 0, null, null, 0), ScriptFixtures.STAGED))
                .contains("#SBATCH --nodes=1\n#SBATCH --ntasks=3\n");
        ResourceConfig single = ScriptFixtures.resource("slurm+ssh").coresPerNode(1).build();
        assertThat(slurm.script(ScriptFixtures.launch(single, "p", 0, null, null, 0), ScriptFixtures.STAGED))
                .contains("#SBATCH --nodes=3\n#SBATCH --ntasks=3\n");
    }

    @Test
    void timeLimitIsRoundedUpToWholeMinutes() {
        assertThat(Slurm.timeLimit(Duration.ofSeconds(61))).isEqualTo("0:02:00");
        assertThat(Slurm.timeLimit(Duration.ofMinutes(2))).isEqualTo("0:02:00");
        assertThat(Slurm.timeLimit(Duration.ofHours(49).plusSeconds(1))).isEqualTo("49:01:00");
    }

    @Test
    void theJobNameIsThePilotsAcrossSessionsWithUnsafeCharactersReplaced() {
        assertThat(slurm.script(ScriptFixtures.launch(rc, "my pilot;rm -rf", 0, null, null, 0), ScriptFixtures.STAGED))
                .containsPattern("#SBATCH --job-name=my_pilot_rm_-_[0-9a-f]{10}\\.s1\n");
    }

    @Test
    void aValueADirectiveCannotCarryIsRefusedByName() {
        assertThatThrownBy(() -> slurm.script(ScriptFixtures.launch(rc, "p", 0, "de bug", null, 0),
                ScriptFixtures.STAGED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'--partition=de bug' cannot be written into a #SBATCH directive");
    }
}
