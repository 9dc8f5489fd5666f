package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.pilotflow.resource.batch.FakeShells;
import org.pilotflow.resource.batch.Poll;
import org.pilotflow.resource.batch.RecordingShell;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.fork.RemoteForkAdapter;
import org.pilotflow.testing.Procs;

/**
 * {@code ssh://}: the remote fork adapter over the real sshd of {@code test-backends/sshd.sh}. The sshd runs on this
 * host, so the agents it starts are checked through {@code /proc} here, independently of the adapter.
 */
class RemoteForkOverSshTest {

    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path root;
    private SshFixture sshd;
    private SshConnections connections;
    private RecordingShell shell;
    private RemoteForkAdapter adapter;
    private ResourceConfig rc;
    private final List<JobHandle> handles = new ArrayList<>();
    private final List<Long> strays = new ArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        sshd = SshFixture.require();
        connections = sshd.connections();
        rc = ResourceConfig.builder("test.sshfork")
                .schema("ssh", "ssh://" + sshd.location() + "/", "sftp://" + sshd.location() + "/")
                .coresPerNode(2)
                .validRoots(List.of(root.toString()))
                .defaultRemoteWorkdir(root.resolve("work").toString())
                .build();
        shell = new RecordingShell(connections.forEndpoint(rc.jobManagerEndpoint(), rc.hostKeyChecking()));
        adapter = new RemoteForkAdapter(new FakeShells().at(sshd.location(), shell));
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            for (JobHandle h : handles) {
                adapter.kill(h);
            }
        } finally {
            strays.forEach(Procs::destroy);
            connections.close();
        }
    }

    private PilotLaunch launch(String pilotId) {
        return BatchLaunches.launch(rc, pilotId, 1, Procs.standIn(root, "agent-with-unit.sh",
                Procs.LOG_PID_FILE + Procs.AGENT_WITH_A_UNIT), null, null);
    }

    private Submitted submit(PilotLaunch launch) throws Exception {
        Submitted s = adapter.submit(launch);
        handles.add(s.handle());
        return s;
    }

    private long unitOf(Submitted s) {
        Path unitPid = Path.of(s.sandbox(), "unit.pid");
        long unit = Poll.until(BOUND, "the stand-in's unit to start", () -> Procs.readPid(unitPid), p -> p > 0);
        strays.add(unit);
        return unit;
    }

    @Test
    void theAgentLeadsItsOwnGroupAndAKilledAgentsUnitIsKilledWithTheGroup() throws Exception {
        Submitted s = submit(launch("pilot.ssh"));
        long agent = Long.parseLong(s.handle().jobId());
        long unit = unitOf(s);
        assertThat(s.handle()).isEqualTo(new JobHandle("ssh", sshd.location() + "/" + agent));
        Procs.Stat a = Procs.stat(agent).orElseThrow();
        assertThat(a.pgid()).isEqualTo(agent);
        assertThat(a.sid()).isEqualTo(agent);
        assertThat(Procs.stat(unit).orElseThrow().pgid()).isEqualTo(agent);
        assertThat(Procs.readPid(Path.of(s.sandbox(), AgentStaging.AGENT_PID))).isEqualTo(agent);
        assertThat(Files.readString(Path.of(s.sandbox(), AgentStaging.AGENT_LOG)))
                .contains("pid file when the agent started: " + agent + "\n");
        assertThat(adapter.status(s.handle())).isEqualTo(JobStatus.running());

        ProcessHandle.of(agent).orElseThrow().destroyForcibly(); // SIGKILL to the agent alone
        Poll.until(BOUND, "the agent to die", () -> Procs.running(agent), r -> !r);

        assertThat(Procs.running(unit)).as("the orphaned unit").isTrue();
        String gone = "agent process " + agent + " on " + sshd.location() + " is gone";
        assertThat(adapter.status(s.handle())).isEqualTo(new JobStatus(State.ORPHANED,
                gone + "; only orphaned unit processes of its group are left: " + unit + " (sleep)"));

        adapter.kill(s.handle());

        assertThat(Procs.running(unit)).as("the unit after kill").isFalse();
        assertThat(Poll.until(Duration.ofSeconds(10), "GONE", () -> adapter.status(s.handle()),
                st -> st.state() == State.GONE).reason()).isEqualTo(gone + "; only orphaned unit processes of its "
                + "group were left (" + unit + " (sleep)), and they have ended too");
        adapter.kill(s.handle()); // idempotent
    }

    @Test
    void killEndsARunningAgentAndItsUnit() throws Exception {
        Submitted s = submit(launch("pilot.kill"));
        long agent = Long.parseLong(s.handle().jobId());
        long unit = unitOf(s);

        adapter.kill(s.handle());

        assertThat(Procs.running(agent)).isFalse();
        assertThat(Procs.running(unit)).isFalse();
        assertThat(Poll.until(Duration.ofSeconds(10), "GONE", () -> adapter.status(s.handle()),
                st -> st.state() == State.GONE)).isEqualTo(JobStatus.gone("agent process " + agent + " on "
                + sshd.location() + " is gone"));
    }

    @Test
    void findReturnsTheHandleSubmitReturnedAndNothingWithoutAnEarlierAttempt() throws Exception {
        PilotLaunch launch = launch("pilot.find");
        assertThat(adapter.find(launch)).as("no earlier attempt").isEmpty();

        Submitted s = submit(launch);

        RemoteForkAdapter restarted = new RemoteForkAdapter(new FakeShells().at(sshd.location(), shell));
        assertThat(restarted.find(launch)).contains(s);
        assertThat(restarted.find(launch("pilot.other"))).isEmpty();
        restarted.kill(s.handle());
        assertThat(restarted.find(launch)).as("after kill").isEmpty();
    }

    @Test
    void aForeignProcessInThePidFileIsNeitherAdoptedNorKilled() throws Exception {
        Process foreign = new ProcessBuilder("setsid", "sleep", "300").start();
        long pid = foreign.pid();
        strays.add(pid);
        Poll.until(BOUND, "the foreign process to lead its group", () -> Procs.stat(pid).orElseThrow().pgid(),
                g -> g == pid);
        PilotLaunch launch = launch("pilot.foreign");
        Path sandbox = Path.of(launch.sandbox());
        Files.createDirectories(sandbox);
        Files.writeString(sandbox.resolve(AgentStaging.AGENT_PID), pid + "\n");
        JobHandle h = new JobHandle("ssh", sshd.location() + "/" + pid);

        assertThat(adapter.find(launch)).isEmpty();
        assertThat(adapter.status(h)).isEqualTo(JobStatus.gone("agent process " + pid + " on " + sshd.location()
                + " is gone (its pid now belongs to another process, " + pid + " (sleep))"));
        adapter.kill(h);

        assertThat(Procs.running(pid)).as("the foreign process").isTrue();
    }

    @Test
    void statusOfManyAgentsIsOneCommand() throws Exception {
        List<JobHandle> hs = List.of(submit(launch("pilot.a")).handle(), submit(launch("pilot.b")).handle(),
                new JobHandle("ssh", sshd.location() + "/999999999"));
        shell.clear();

        Map<JobHandle, JobStatus> all = adapter.statusAll(hs);

        assertThat(shell.calls()).hasSize(1);
        assertThat(all.keySet()).containsExactlyElementsOf(hs);
        assertThat(all.get(hs.get(0))).isEqualTo(JobStatus.running());
        assertThat(all.get(hs.get(1))).isEqualTo(JobStatus.running());
        assertThat(all.get(hs.get(2))).isEqualTo(JobStatus.gone("agent process 999999999 on " + sshd.location()
                + " is gone"));
    }
}
