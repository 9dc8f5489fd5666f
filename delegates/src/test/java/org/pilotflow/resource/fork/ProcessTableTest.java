package org.pilotflow.resource.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.fork.ProcessTable.AgentJob.Kind;

/** The process table as the remote command prints it, and what it says about agent jobs. */
class ProcessTableTest {

    /** ps lines (pid pgid sid stat comm), then one line per agent candidate: pid, pid file, last argument. */
    private static final String OUTPUT = """
                1     1     1 Ss   init
              100   100   100 Ss   java
              101   100   100 S    sleep
              102   102   100 S    mpi proxy
              200   200   200 Ss   sleep
              300   300   300 Z    java
              301   300   300 S    sleep
              400   400   400 Ss   java
            #leader\t100\t100\t/home/u/sb/pilot.0000/agent.json
            #leader\t200\t\t300
            #leader\t300\t\t
            #leader\t400\t999\t/home/u/sb/pilot.0001/agent.json
            #leader\t500\t\t
            """;

    private final ProcessTable table = ProcessTable.parseRemote(OUTPUT);

    @Test
    void anAgentLeadsItsSessionNamesItsConfigAndItsPidFileHoldsItsPid() {
        assertThat(table.isAgent(100, null)).isTrue();
        assertThat(table.isAgent(100, "/home/u/sb/pilot.0000")).isTrue();
        assertThat(table.isAgent(100, "/home/u/sb/pilot.0009")).as("another sandbox's").isFalse();
        assertThat(table.isAgent(200, null)).as("no agent.json").isFalse();
        assertThat(table.isAgent(400, null)).as("the pid file names another pid").isFalse();
        assertThat(table.sandboxOf(100)).isEqualTo("/home/u/sb/pilot.0000");
    }

    @Test
    void theJobIsEveryLiveProcessOfTheAgentsGroupOrSession() {
        ProcessTable.AgentJob job = table.job(100, null);

        assertThat(job.kind()).isEqualTo(Kind.AGENT);
        assertThat(job.members()).extracting(ProcessTable.Proc::pid).containsExactly(100L, 101L, 102L);
        assertThat(job.groups()).containsExactly(100L, 102L);
        assertThat(ProcessTable.killArgv(job.groups())).containsExactly("env", "kill", "-KILL", "--", "-100", "-102");
    }

    @Test
    void aDeadOrZombieAgentWithUnitsLeftIsOrphansAndWithoutIsGone() {
        ProcessTable.AgentJob zombie = table.job(300, null);
        assertThat(zombie.kind()).isEqualTo(Kind.ORPHANS);
        assertThat(zombie.describeMembers()).isEqualTo("301 (sleep)");
        assertThat(zombie.groups()).containsExactly(300L);

        assertThat(table.job(500, null).kind()).isEqualTo(Kind.GONE);
        assertThat(table.job(500, null).groups()).isEmpty();
    }

    @Test
    void aLivePidThatIsNotTheAgentIsNotTheJobAndNothingOfItIsKilled() {
        ProcessTable.AgentJob job = table.job(200, null);

        assertThat(job.kind()).isEqualTo(Kind.NOT_AGENT);
        assertThat(job.holder()).hasToString("200 (sleep)");
        assertThat(job.groups()).isEmpty();
        assertThat(table.job(400, null).kind()).isEqualTo(Kind.NOT_AGENT);
    }

    @Test
    void outputWithoutProcessesIsAnError() {
        assertThatThrownBy(() -> ProcessTable.parseRemote("sh: ps: not found\n"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thisHostsTableKnowsThisJvmAndItsGroup() {
        long self = ProcessHandle.current().pid();
        ProcessTable local = ProcessTable.local(List.of(self));

        assertThat(local.alive(self)).isNotNull();
        assertThat(local.isAgent(self, null)).isFalse();
        assertThat(local.job(self, null).kind()).isEqualTo(Kind.NOT_AGENT);
    }
}
