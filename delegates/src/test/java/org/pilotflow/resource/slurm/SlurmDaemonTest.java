package org.pilotflow.resource.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pilotflow.resource.batch.DaemonFixture.is;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.batch.BatchLaunches;
import org.pilotflow.resource.batch.DaemonFixture;
import org.pilotflow.resource.batch.Poll;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.testing.Procs;
import org.pilotflow.testing.TestBackends;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SLURM adapter against the real single-node SLURM of {@code test-backends/slurm.sh}, through
 * {@link org.pilotflow.resource.shell.LocalShell}. TIMEOUT is not provoked here (SLURM's smallest limit is a
 * minute); its mapping is tested on a captured TIMEOUT in {@link SlurmOutputTest}, and so is sacct's (slurmdbd and
 * jobcomp) lookup of jobs older than MinJobAge (5 minutes here).
 */
class SlurmDaemonTest {

    private static final Logger LOG = LoggerFactory.getLogger(SlurmDaemonTest.class);

    private static Map<String, String> backend;
    private static Map<String, String> clientEnv;

    @TempDir
    Path root;
    private DaemonFixture f;
    private ResourceConfig rc;

    @BeforeAll
    static void slurm() {
        backend = TestBackends.require("slurm");
        clientEnv = TestBackends.clientEnvironment("slurm");
    }

    @BeforeEach
    void fixture() {
        f = new DaemonFixture(root, "slurm", new Slurm(), clientEnv, cpus());
        rc = f.resource().build();
    }

    @AfterEach
    void endJobs() throws Exception {
        f.close();
    }

    private static int cpus() {
        return Integer.parseInt(backend.get("SLURM_CPUS"));
    }

    @Test
    void aRealAgentRunsAsASlurmJobAndItsExitCodeReachesTheStatus() throws Exception {
        // the real agent jar and JVM; no engine listens, so the agent ends after its 2 s orphan timeout, exit code 3
        ResourceConfig withBootstrap = f.resource().preBootstrap(List.of("echo \"pre_bootstrap ran on $(hostname)\" >&2"))
                .build();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        Submitted s = f.submit(withBootstrap, "pilot.real", 1, java, backend.get("SLURM_PARTITION"));
        long submitted = System.nanoTime();

        f.await(s.handle(), "RUNNING", is(State.RUNNING));
        long running = System.nanoTime();
        JobStatus gone = f.await(s.handle(), "GONE", is(State.GONE));
        LOG.info("sbatch {} ms, submit -> RUNNING seen {} ms, -> GONE {} ms", (submitted - t0) / 1_000_000,
                (running - t0) / 1_000_000, (System.nanoTime() - t0) / 1_000_000);

        String id = s.handle().jobId();
        assertThat(gone.reason()).isEqualTo("SLURM job " + id + " FAILED with exit code 3:0 (reason: NonZeroExitCode)");
        assertThat(Files.readString(Path.of(s.sandbox(), "pilot.sbatch"))).contains("#SBATCH --ntasks=1\n");
        String tail = f.adapter().logTail(s.handle(), s.sandbox());
        assertThat(tail).contains("; agent.log ends: ").contains("agent ends with exit code 3")
                .contains("; pilot.err ends: pre_bootstrap ran on " + backend.get("SLURM_NODE"));
    }

    @Test
    void statusOfThreeJobsIsOneSqueue() throws Exception {
        String sleeper = f.sleeper();
        List<JobHandle> handles = List.of(
                f.submit(rc, "pilot.a", 1, sleeper, null).handle(),
                f.submit(rc, "pilot.b", 1, sleeper, null).handle(),
                f.submit(rc, "pilot.c", 1, sleeper, null).handle());
        for (JobHandle h : handles) {
            f.await(h, "queued or running", s -> s.state() == State.QUEUED || s.state() == State.RUNNING);
        }
        f.shell().clear();

        Map<JobHandle, JobStatus> all = f.adapter().statusAll(handles);

        assertThat(f.shell().calls()).singleElement().satisfies(c -> {
            assertThat(c.argv()).containsExactly("squeue", "-h", "-a", "-t", "all", "-j",
                    handles.get(0).jobId() + "," + handles.get(1).jobId() + "," + handles.get(2).jobId(),
                    "-o", "%i|%T|%r");
            assertThat(c.env()).isEqualTo(clientEnv);
        });
        assertThat(all.keySet()).containsExactlyElementsOf(handles);
        assertThat(all.values()).allSatisfy(s -> assertThat(s.state()).isIn(State.QUEUED, State.RUNNING));
    }

    @Test
    void anExternalScancelIsGoneCancelled() throws Exception {
        Submitted s = f.submit(rc, "pilot.x", 1, f.sleeper(), null);
        f.await(s.handle(), "RUNNING", is(State.RUNNING));

        f.runOk("scancel", s.handle().jobId());

        JobStatus gone = f.await(s.handle(), "GONE", is(State.GONE));
        assertThat(gone.reason()).startsWith("SLURM job " + s.handle().jobId() + " CANCELLED");
    }

    @Test
    void aStandInThatExitsWithThreeIsFailedWithItsExitCode() throws Exception {
        Submitted s = f.submit(rc, "pilot.e", 1, f.standIn("exit3.sh", "echo 'cannot start' >&2; exit 3"), null);

        JobStatus gone = f.await(s.handle(), "GONE", is(State.GONE));

        assertThat(gone.reason()).isEqualTo("SLURM job " + s.handle().jobId()
                + " FAILED with exit code 3:0 (reason: NonZeroExitCode)");
        assertThat(f.adapter().logTail(s.handle(), s.sandbox())).contains("agent.log ends: stand-in agent")
                .contains("cannot start");
    }

    @Test
    void aBadPartitionIsRejectedWithSbatchsOwnMessage() {
        assertThatThrownBy(() -> f.submit(rc, "pilot.p", 1, "/bin/true", "nosuch"))
                .isInstanceOf(ResourceException.class)
                .hasMessage("SLURM rejected pilot pilot.p on localhost: sbatch: error: invalid partition specified: "
                        + "nosuch; sbatch: error: Batch job submission failed: Invalid partition name specified");
    }

    @Test
    void withoutTheJobManagerEnvironmentSbatchFindsNoCluster() {
        // the test JVM has no SLURM_CONF: only the resource's job_manager_environment leads sbatch to the cluster
        ResourceConfig noEnv = f.resource().jobManagerEnvironment(Map.of()).build();

        assertThatThrownBy(() -> f.submit(noEnv, "pilot.n", 1, "/bin/true", null))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("SLURM rejected pilot pilot.n on localhost: sbatch: ");
    }

    @Test
    void aPilotQueuedBehindAFullNodeAndKilledLeavesNoJob() throws Exception {
        String blocker = f.runOk("sbatch", "--parsable", "--exclusive", "-J", "pilotflow-blocker", "-o", "/dev/null",
                "--wrap", "sleep " + DaemonFixture.SLEEP_SECONDS);
        JobHandle blockerHandle = f.track(blocker);
        f.await(blockerHandle, "the blocker to run", is(State.RUNNING));
        Submitted s = f.submit(rc, "pilot.q", 1, f.sleeper(), null);
        String id = s.handle().jobId();

        JobStatus queued = f.await(s.handle(), "QUEUED", is(State.QUEUED));
        assertThat(queued.reason()).matches("SLURM job " + id + " PENDING \\(reason: (Resources|Priority)\\)");

        f.adapter().kill(s.handle());

        JobStatus gone = f.await(s.handle(), "GONE", is(State.GONE));
        assertThat(gone.reason()).startsWith("SLURM job " + id + " CANCELLED");
        assertThat(f.runOk("squeue", "-h", "-j", id, "-o", "%i")).isEmpty(); // nothing left in the queue
        f.adapter().kill(s.handle()); // idempotent
    }

    @Test
    void findReturnsTheSubmittedJobUntilItIsKilled() throws Exception {
        PilotLaunch launch = BatchLaunches.launch(rc, "session.20250107.143012.a1b2c3", "pilot.0000", 1, f.sleeper(),
                null);
        assertThat(f.adapter().find(launch)).as("before any submit").isEmpty();

        Submitted s = f.submit(launch);

        assertThat(f.adapter().find(launch)).contains(s);
        assertThat(f.restartedAdapter().find(launch)).as("by a restarted engine").contains(s);
        assertThat(f.runOk("squeue", "-h", "-j", s.handle().jobId(), "-o", "%j"))
                .isEqualTo("pilot.0000.20250107.143012.a1b2c3");

        f.adapter().kill(s.handle());

        Poll.until(Duration.ofSeconds(60), "find to find nothing after kill", () -> f.adapter().find(launch),
                Optional::isEmpty);
    }

    @Test
    void pilotsOfTwoSessionsWithTheSameIdHaveJobsOfDifferentNames() throws Exception {
        PilotLaunch first = BatchLaunches.launch(rc, "session.20250107.143012.aaaaaa", "pilot.0000", 1, f.sleeper(),
                null);
        PilotLaunch second = BatchLaunches.launch(rc, "session.20250107.143012.bbbbbb", "pilot.0000", 1, f.sleeper(),
                null);
        Submitted a = f.submit(first);
        assertThat(f.adapter().find(second)).as("the other session's pilot has no job yet").isEmpty();
        Submitted b = f.submit(second);

        assertThat(first.jobName()).isNotEqualTo(second.jobName());
        assertThat(f.runOk("squeue", "-h", "-j", a.handle().jobId(), "-o", "%j")).isEqualTo(first.jobName());
        assertThat(f.runOk("squeue", "-h", "-j", b.handle().jobId(), "-o", "%j")).isEqualTo(second.jobName());
        assertThat(f.adapter().find(first)).contains(a);
        assertThat(f.adapter().find(second)).contains(b);
    }

    @Test
    void killEndsTheProcessesTheJobStarted() throws Exception {
        Submitted s = f.submit(rc, "pilot.u", 1, f.standIn("agent-with-unit.sh", Procs.AGENT_WITH_A_UNIT), null);
        long unit = f.unitOf(s);
        assertThat(Procs.running(unit)).isTrue();

        f.adapter().kill(s.handle());

        Poll.until(Duration.ofSeconds(60), "the job's unit process " + unit + " to end", () -> Procs.running(unit),
                running -> !running);
        f.await(s.handle(), "GONE", is(State.GONE));
    }
}
