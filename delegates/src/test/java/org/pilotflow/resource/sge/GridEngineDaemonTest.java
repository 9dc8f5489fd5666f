package org.pilotflow.resource.sge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pilotflow.resource.batch.DaemonFixture.is;

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
 * The Grid Engine adapter against the real single-node Grid Engine of {@code test-backends/sge.sh}, through
 * {@link org.pilotflow.resource.shell.LocalShell}. Wall time (h_rt) is not provoked: its kill looks like a qdel
 * in qacct (exit_status 137), which is tested here.
 */
class GridEngineDaemonTest {

    private static final Logger LOG = LoggerFactory.getLogger(GridEngineDaemonTest.class);

    private static Map<String, String> backend;
    private static Map<String, String> clientEnv;

    @TempDir
    Path root;
    private DaemonFixture f;
    private ResourceConfig rc;

    @BeforeAll
    static void sge() {
        backend = TestBackends.require("sge");
        clientEnv = TestBackends.clientEnvironment("sge");
    }

    @BeforeEach
    void fixture() {
        f = new DaemonFixture(root, "sge", new GridEngine(), clientEnv, Integer.parseInt(backend.get("SGE_SLOTS")));
        rc = f.resource().batchSystemKey("sge_parallel_environment", backend.get("SGE_PE")).build();
    }

    @AfterEach
    void endJobs() throws Exception {
        f.close();
    }

    @Test
    void aRealAgentRunsAsAnSgeJobAndItsExitStatusReachesTheStatus() throws Exception {
        // the real agent jar and JVM; no engine listens, so the agent ends after its 2 s orphan timeout, exit code 3
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long t0 = System.nanoTime();
        Submitted s = f.submit(rc, "pilot.real", 1, java, backend.get("SGE_QUEUE"));
        long submitted = System.nanoTime();

        f.await(s.handle(), "RUNNING", is(State.RUNNING));
        long running = System.nanoTime();
        JobStatus gone = f.await(s.handle(), "GONE", is(State.GONE));
        LOG.info("qsub {} ms, submit -> RUNNING seen {} ms, -> GONE {} ms", (submitted - t0) / 1_000_000,
                (running - t0) / 1_000_000, (System.nanoTime() - t0) / 1_000_000);

        assertThat(gone.reason()).isIn("SGE job " + s.handle().jobId() + " ended: exit_status 3, failed 0",
                // qstat lists it finished a moment before qacct's record is flushed (flush_time 1 s here)
                "SGE job " + s.handle().jobId() + " has finished, and qacct has no record of it (yet): it never "
                        + "started (deleted while queued), or its record is not flushed yet");
        JobStatus accounted = f.await(s.handle(), "qacct's record", st -> st.reason().contains("exit_status"));
        assertThat(accounted.reason()).isEqualTo("SGE job " + s.handle().jobId() + " ended: exit_status 3, failed 0");
        assertThat(f.adapter().logTail(s.handle(), s.sandbox())).contains("; agent.log ends: ")
                .contains("agent ends with exit code 3");
    }

    @Test
    void statusOfThreeJobsIsOneQstat() throws Exception {
        String sleeper = f.sleeper();
        List<JobHandle> handles = List.of(
                f.submit(rc, "pilot.a", 1, sleeper, null).handle(),
                f.submit(rc, "pilot.b", 1, sleeper, null).handle(),
                f.submit(rc, "pilot.c", 1, sleeper, null).handle());
        f.shell().clear();

        Map<JobHandle, JobStatus> all = f.adapter().statusAll(handles);

        assertThat(f.shell().calls()).singleElement().satisfies(c -> {
            assertThat(c.argv()).containsExactly("qstat", "-xml", "-u", "*", "-s", "prsz");
            assertThat(c.env()).isEqualTo(clientEnv);
        });
        assertThat(all.values()).allSatisfy(s -> assertThat(s.state()).isIn(State.QUEUED, State.RUNNING));
    }

    @Test
    void anExternalQdelOfARunningJobIsGoneKilled() throws Exception {
        Submitted s = f.submit(rc, "pilot.x", 1, f.sleeper(), null);
        f.await(s.handle(), "RUNNING", is(State.RUNNING));

        f.runOk("qdel", s.handle().jobId());

        assertThat(f.await(s.handle(), "GONE", is(State.GONE)).reason()).startsWith("SGE job " + s.handle().jobId());
        JobStatus accounted = f.await(s.handle(), "qacct's record", st -> st.reason().contains("exit_status"));
        assertThat(accounted.reason()).isEqualTo("SGE job " + s.handle().jobId()
                + " ended: exit_status 137 (Killed), failed 100 : assumedly after job");
    }

    @Test
    void aBadQueueIsRejectedWithQsubsOwnMessage() {
        assertThatThrownBy(() -> f.submit(rc, "pilot.q", 1, "/bin/true", "nosuch"))
                .isInstanceOf(ResourceException.class)
                .hasMessage("SGE rejected pilot pilot.q on localhost: Unable to run job: Job was rejected because job "
                        + "requests unknown queue \"nosuch\"");
    }

    @Test
    void aBadParallelEnvironmentIsRejectedWithQsubsOwnMessage() {
        ResourceConfig badPe = f.resource().batchSystemKey("sge_parallel_environment", "nope").build();

        assertThatThrownBy(() -> f.submit(badPe, "pilot.pe", 1, "/bin/true", null))
                .isInstanceOf(ResourceException.class)
                .hasMessage("SGE rejected pilot pilot.pe on localhost: Unable to run job: job rejected: the requested "
                        + "parallel environment \"nope\" does not exist");
    }

    @Test
    void aPilotQueuedBehindAFullHostAndKilledLeavesNoJob() throws Exception {
        String blocker = f.runOk("qsub", "-terse", "-b", "y", "-pe", backend.get("SGE_PE"), backend.get("SGE_SLOTS"),
                "-N", "pilotflow-blocker", "-o", "/dev/null", "-e", "/dev/null", "sleep", DaemonFixture.SLEEP_SECONDS);
        JobHandle blockerHandle = f.track(blocker);
        f.await(blockerHandle, "the blocker to run", is(State.RUNNING));
        Submitted s = f.submit(rc, "pilot.q", 1, f.sleeper(), null);
        String id = s.handle().jobId();
        assertThat(f.await(s.handle(), "QUEUED", is(State.QUEUED)).reason()).isEqualTo("SGE job " + id + " qw");

        f.adapter().kill(s.handle());

        // deleted before it started: no qacct record ever; qstat -s z still says it finished
        assertThat(f.await(s.handle(), "GONE", is(State.GONE)).reason()).isEqualTo("SGE job " + id + " has finished, "
                + "and qacct has no record of it (yet): it never started (deleted while queued), or its record is not "
                + "flushed yet");
        assertThat(f.runOk("qstat", "-u", "*")).doesNotContain(" " + id + " ");
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
        assertThat(f.runOk("qstat", "-j", s.handle().jobId())).contains("pilot.0000.20250107.143012.a1b2c3");

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
        assertThat(f.runOk("qstat", "-j", a.handle().jobId())).containsPattern("(?m)^job_name:\\s+"
                + first.jobName().replace(".", "\\.") + "$");
        assertThat(f.runOk("qstat", "-j", b.handle().jobId())).containsPattern("(?m)^job_name:\\s+"
                + second.jobName().replace(".", "\\.") + "$");
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
