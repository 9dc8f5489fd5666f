package org.pilotflow.resource.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.batch.BatchLaunches;
import org.pilotflow.resource.batch.Poll;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.testing.Procs;

/**
 * The fork adapter with real processes on this host: stand-in agents (shell scripts) that start a {@code sleep 300}
 * unit, checked through {@code /proc} independently of the adapter's own process table.
 */
class ForkAdapterTest {

    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path root;
    private ResourceConfig rc;
    private final ForkAdapter adapter = new ForkAdapter();
    private final List<JobHandle> handles = new ArrayList<>();
    private final List<Long> strays = new ArrayList<>();

    @BeforeEach
    void resource() {
        rc = BatchLaunches.localResource("fork", root.toString(), 2, Map.of()).build();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (JobHandle h : handles) {
            adapter.kill(h);
        }
        strays.forEach(Procs::destroy);
    }

    private PilotLaunch launch(String pilotId, String java) {
        return BatchLaunches.launch(rc, pilotId, 1, java, null, null);
    }

    private Submitted submit(PilotLaunch launch) throws Exception {
        Submitted s = adapter.submit(launch);
        handles.add(s.handle());
        return s;
    }

    private String agentWithAUnit() {
        return Procs.standIn(root, "agent-with-unit.sh", Procs.LOG_PID_FILE + Procs.AGENT_WITH_A_UNIT);
    }

    /** Waits for the stand-in's unit and returns its pid. */
    private long unitOf(Submitted s) {
        Path unitPid = Path.of(s.sandbox(), "unit.pid");
        long unit = Poll.until(BOUND, "the stand-in's unit to start", () -> Procs.readPid(unitPid), p -> p > 0);
        strays.add(unit);
        return unit;
    }

    private static long pid(JobHandle h) {
        return Long.parseLong(h.jobId());
    }

    @Test
    void theAgentLeadsAProcessGroupOfItsOwnAndItsPidFileIsWrittenBeforeItRuns() throws Exception {
        Submitted s = submit(launch("pilot.group", agentWithAUnit()));
        long agent = pid(s.handle());
        long unit = unitOf(s);

        Procs.Stat a = Procs.stat(agent).orElseThrow();
        assertThat(a.pgid()).as("process group").isEqualTo(agent);
        assertThat(a.sid()).as("session").isEqualTo(agent);
        assertThat(Procs.ownProcessGroup()).as("the test JVM's group").isNotEqualTo(agent);
        assertThat(Procs.stat(unit).orElseThrow().pgid()).as("the unit's group").isEqualTo(agent);
        assertThat(Procs.readPid(Path.of(s.sandbox(), AgentStaging.AGENT_PID))).isEqualTo(agent);
        assertThat(Files.readString(Path.of(s.sandbox(), AgentStaging.AGENT_LOG)))
                .contains("pid file when the agent started: " + agent + "\n");
        assertThat(adapter.status(s.handle())).isEqualTo(JobStatus.running());
    }

    @Test
    void aKilledAgentsUnitKeepsTheJobRunningUntilKillEndsTheWholeGroup() throws Exception {
        Submitted s = submit(launch("pilot.orphan", agentWithAUnit()));
        long agent = pid(s.handle());
        long unit = unitOf(s);

        ProcessHandle.of(agent).orElseThrow().destroyForcibly(); // SIGKILL to the agent alone
        Poll.until(BOUND, "the agent to die", () -> Procs.running(agent), r -> !r);

        assertThat(Procs.running(unit)).as("the orphaned unit").isTrue();
        // a killed child is a zombie until this JVM reaps it; the adapter knows its exit from then on
        JobStatus orphaned = Poll.until(BOUND, "the adapter to see the agent's exit", () -> adapter.status(s.handle()),
                st -> st.state() != State.RUNNING);
        assertThat(orphaned.state()).isEqualTo(State.ORPHANED);
        assertThat(orphaned.reason()).isEqualTo("agent process " + agent + " exited with code 137 (killed by signal 9)"
                + "; only orphaned unit processes of its group are left: " + unit + " (sleep)");

        adapter.kill(s.handle());

        assertThat(Procs.running(unit)).as("the unit after kill").isFalse();
        JobStatus gone = Poll.until(Duration.ofSeconds(5), "GONE", () -> adapter.status(s.handle()),
                st -> st.state() == State.GONE);
        assertThat(gone.reason()).isEqualTo("agent process " + agent + " exited with code 137 (killed by signal 9)"
                + "; only orphaned unit processes of its group were left (" + unit + " (sleep)), and they have ended "
                + "too");
        adapter.kill(s.handle()); // idempotent
    }

    @Test
    void afterAnEngineRestartTheOrphansAreStillTheJobAndAreKilled() throws Exception {
        Submitted s = submit(launch("pilot.restart", agentWithAUnit()));
        long agent = pid(s.handle());
        long unit = unitOf(s);
        ForkAdapter restarted = new ForkAdapter(); // knows nothing of the agents the first one started

        assertThat(restarted.find(launch("pilot.restart", agentWithAUnit()))).contains(s);
        assertThat(restarted.status(s.handle())).isEqualTo(JobStatus.running());
        ProcessHandle.of(agent).orElseThrow().destroyForcibly();
        Poll.until(BOUND, "the agent to die", () -> Procs.running(agent), r -> !r);
        JobStatus orphaned = restarted.status(s.handle());
        assertThat(orphaned.state()).isEqualTo(State.ORPHANED);
        assertThat(orphaned.reason()).isEqualTo("agent process " + agent + " is gone; only orphaned unit processes "
                + "of its group are left: " + unit + " (sleep)");

        restarted.kill(s.handle());

        assertThat(Procs.running(unit)).isFalse();
        assertThat(Poll.until(Duration.ofSeconds(5), "GONE", () -> restarted.status(s.handle()),
                st -> st.state() == State.GONE).reason()).startsWith("agent process " + agent + " is gone");
    }

    @Test
    void killEndsARunningAgentAndItsUnits() throws Exception {
        Submitted s = submit(launch("pilot.kill", agentWithAUnit()));
        long agent = pid(s.handle());
        long unit = unitOf(s);

        adapter.kill(s.handle());

        assertThat(Procs.running(agent)).isFalse();
        assertThat(Procs.running(unit)).isFalse();
        JobStatus gone = Poll.until(Duration.ofSeconds(5), "GONE", () -> adapter.status(s.handle()),
                st -> st.state() == State.GONE);
        assertThat(gone.reason()).isEqualTo("agent process " + agent + " exited with code 137 (killed by signal 9)");
        assertThat(adapter.find(launch("pilot.kill", agentWithAUnit()))).isEmpty();
    }

    @Test
    void aUnitThatMadeAProcessGroupOfItsOwnIsStillPartOfTheJob() throws Exception {
        // a unit that calls setpgid (as some MPI launchers do) leaves the agent's group but not its session
        String java = Procs.standIn(root, "agent-with-own-group-unit.sh", "perl -e 'setpgrp(0, 0); exec \"sleep\", "
                + "\"300\"' &\necho $! >unit.pid.tmp && mv unit.pid.tmp unit.pid\nwait");
        Submitted s = submit(launch("pilot.pgrp", java));
        long agent = pid(s.handle());
        long unit = unitOf(s);
        Poll.until(BOUND, "the unit's own group", () -> Procs.stat(unit).orElseThrow().pgid(), g -> g == unit);
        assertThat(Procs.stat(unit).orElseThrow().sid()).isEqualTo(agent);

        ProcessHandle.of(agent).orElseThrow().destroyForcibly();
        Poll.until(BOUND, "the agent to die", () -> Procs.running(agent), r -> !r);
        // not GONE (a process of the job still runs) and not RUNNING (no agent is left to report for it)
        JobStatus orphaned = adapter.status(s.handle());
        assertThat(orphaned.state()).isEqualTo(State.ORPHANED);
        assertThat(orphaned.reason()).startsWith("agent process " + agent + " exited with code 137")
                .contains("only orphaned unit processes of its group are left").contains(Long.toString(unit));

        adapter.kill(s.handle());

        assertThat(Procs.running(unit)).isFalse();
    }

    @Test
    void findReturnsTheHandleSubmitReturnedAndNothingWithoutAnEarlierAttempt() throws Exception {
        PilotLaunch launch = launch("pilot.find", agentWithAUnit());
        assertThat(adapter.find(launch)).as("no earlier attempt").isEmpty();

        Submitted s = submit(launch);

        assertThat(adapter.find(launch)).contains(s);
        assertThat(new ForkAdapter().find(launch)).as("a restarted engine's").contains(s);
        assertThat(adapter.find(launch("pilot.other", agentWithAUnit()))).as("another pilot").isEmpty();
    }

    @Test
    void anAgentThatExitsIsGoneWithItsExitCodeAndNotFound() throws Exception {
        PilotLaunch launch = launch("pilot.exit3", Procs.standIn(root, "exit3.sh", "exit 3"));
        Submitted s = submit(launch);

        JobStatus gone = Poll.until(BOUND, "GONE", () -> adapter.status(s.handle()), st -> st.state() == State.GONE);

        assertThat(gone.reason()).isEqualTo("agent process " + s.handle().jobId() + " exited with code 3");
        assertThat(new ForkAdapter().status(s.handle()).reason())
                .isEqualTo("agent process " + s.handle().jobId() + " is gone");
        assertThat(adapter.find(launch)).isEmpty();
    }

    @Test
    void aForeignProcessInThePidFileIsNeitherAdoptedNorKilled() throws Exception {
        // an unrelated process that leads its own group, as a recycled pid might
        Process foreign = new ProcessBuilder("setsid", "sleep", "300").start();
        long pid = foreign.pid();
        strays.add(pid);
        Poll.until(BOUND, "the foreign process to lead its group", () -> Procs.stat(pid).orElseThrow().pgid(),
                g -> g == pid);
        PilotLaunch launch = launch("pilot.foreign", agentWithAUnit());
        Path sandbox = Path.of(launch.sandbox());
        Files.createDirectories(sandbox);
        Files.writeString(sandbox.resolve(AgentStaging.AGENT_PID), pid + "\n");
        JobHandle h = new JobHandle(ForkAdapter.NAME, Long.toString(pid));

        assertThat(adapter.find(launch)).isEmpty();
        assertThat(adapter.status(h)).isEqualTo(JobStatus.gone("agent process " + pid + " is gone (its pid now "
                + "belongs to another process, " + pid + " (sleep))"));
        adapter.kill(h);

        assertThat(Procs.running(pid)).as("the foreign process").isTrue();
    }

    @Test
    void anotherPilotsAgentInThePidFileIsNotAdopted() throws Exception {
        Submitted other = submit(launch("pilot.b", agentWithAUnit()));
        PilotLaunch a = launch("pilot.a", agentWithAUnit());
        Path sandbox = Path.of(a.sandbox());
        Files.createDirectories(sandbox);
        Files.writeString(sandbox.resolve(AgentStaging.AGENT_PID), other.handle().jobId() + "\n");

        assertThat(adapter.find(a)).isEmpty();
        assertThat(new ForkAdapter().find(a)).isEmpty();
    }

    @Test
    void statusAllAnswersForEveryHandle() throws Exception {
        Submitted running = submit(launch("pilot.r", agentWithAUnit()));
        Submitted exited = submit(launch("pilot.e", Procs.standIn(root, "exit0.sh", "exit 0")));
        Poll.until(BOUND, "the second agent to end", () -> Procs.running(pid(exited.handle())), r -> !r);
        JobHandle never = new JobHandle(ForkAdapter.NAME, "999999999");

        Map<JobHandle, JobStatus> all = adapter.statusAll(List.of(running.handle(), exited.handle(), never));

        assertThat(all.keySet()).containsExactly(running.handle(), exited.handle(), never);
        assertThat(all.get(running.handle())).isEqualTo(JobStatus.running());
        assertThat(all.get(exited.handle())).isEqualTo(JobStatus.gone("agent process " + exited.handle().jobId()
                + " exited with code 0"));
        assertThat(all.get(never)).isEqualTo(JobStatus.gone("agent process 999999999 is gone"));
        assertThat(Optional.ofNullable(all.get(running.handle()).reason())).isEmpty();
    }
}
