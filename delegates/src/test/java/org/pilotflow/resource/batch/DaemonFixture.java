package org.pilotflow.resource.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.JobStatus.State;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.testing.Procs;

/**
 * One test against a real batch daemon on this host: a {@link BatchAdapter} over a {@link RecordingShell} on
 * {@link LocalShell}, a resource whose sandboxes lie in the test's directory and whose job_manager_environment is
 * the daemon's client environment (the test JVM itself has none of it), stand-in agents, and cleanup: every job
 * submitted is killed and waited for at the end, so the next test finds the node free.
 */
public final class DaemonFixture implements AutoCloseable {

    private final Path root;
    private final Map<String, String> clientEnv;
    private final RecordingShell shell = new RecordingShell(LocalShell.INSTANCE);
    private final BatchAdapter adapter;
    private final List<JobHandle> submitted = new CopyOnWriteArrayList<>();
    private final String scheme;
    private final int cores;

    public DaemonFixture(Path root, String scheme, BatchSystem system, Map<String, String> clientEnv, int cores) {
        this.root = root;
        this.scheme = scheme;
        this.clientEnv = Map.copyOf(clientEnv);
        this.cores = cores;
        this.adapter = new BatchAdapter(new FakeShells().local(shell), system);
        adapter.configure(resource().build()); // as the engine does at start: status works before any submit
    }

    public BatchAdapter adapter() {
        return adapter;
    }

    public RecordingShell shell() {
        return shell;
    }

    /** The test resource: cores_per_node = the daemon's CPUs, job_manager_environment = its client environment. */
    public ResourceConfig.Builder resource() {
        return BatchLaunches.localResource(scheme, root.toString(), cores, clientEnv);
    }

    /**
     * How long stand-in agents and node-filling jobs sleep: far longer than a test needs them (they are killed at
     * its end), and short enough that the jobs of a test JVM that died free the node within a minute.
     */
    public static final String SLEEP_SECONDS = "60";

    /** A stand-in agent that sleeps {@link #SLEEP_SECONDS}. */
    public String sleeper() throws IOException {
        return standIn("sleeper.sh", "exec sleep " + SLEEP_SECONDS);
    }

    /** A stand-in for java in this fixture's directory ({@link Procs#standIn}). */
    public String standIn(String name, String body) {
        return Procs.standIn(root, name, body);
    }

    /** A pilot on {@code rc}, started through the adapter; its job is killed when the test ends. */
    public Submitted submit(ResourceConfig rc, String pilotId, int pilotCores, String java, String queue)
            throws ResourceException {
        PilotLaunch launch = BatchLaunches.launch(rc, pilotId, pilotCores, java, queue, null);
        Submitted s = adapter.submit(launch);
        submitted.add(s.handle());
        return s;
    }

    /** {@code launch} started through the adapter; its job is killed when the test ends. */
    public Submitted submit(PilotLaunch launch) throws ResourceException {
        Submitted s = adapter.submit(launch);
        submitted.add(s.handle());
        return s;
    }

    /** A second adapter on the same daemon that has seen nothing yet: an engine after a restart. */
    public BatchAdapter restartedAdapter() {
        return new BatchAdapter(new FakeShells().local(LocalShell.INSTANCE), adapter.system());
    }

    /**
     * The pid of the unit a stand-in running {@link org.pilotflow.testing.Procs#AGENT_WITH_A_UNIT} started, once it
     * has written it.
     */
    public long unitOf(Submitted s) {
        Path unitPid = Path.of(s.sandbox(), "unit.pid");
        return Poll.until(Duration.ofSeconds(60), "the stand-in's unit to start",
                () -> org.pilotflow.testing.Procs.readPid(unitPid), p -> p > 0);
    }

    public JobStatus status(JobHandle h) {
        return adapter.status(h);
    }

    /** Polls the job's status until {@code done} holds (deadline 60 s) and returns it. */
    public JobStatus await(JobHandle h, String what, Predicate<JobStatus> done) {
        return Poll.until(Duration.ofSeconds(60), h + " " + what, () -> adapter.status(h), done);
    }

    public static Predicate<JobStatus> is(State state) {
        return s -> s.state() == state;
    }

    /** Runs a job-manager command with the client environment, e.g. an operator's external scancel. */
    public CommandResult run(String... argv) throws ResourceException {
        return new JobManagerCommands(LocalShell.INSTANCE, clientEnv).run(argv);
    }

    /** Runs a job-manager command that must succeed and returns its stdout, stripped. */
    public String runOk(String... argv) throws ResourceException {
        CommandResult r = run(argv);
        assertThat(r.ok()).as(r.describe()).isTrue();
        return r.stdout().strip();
    }

    /** Remembers a job submitted outside the adapter (e.g. one that fills the node), so it is ended too. */
    public JobHandle track(String jobId) {
        JobHandle h = new JobHandle(scheme, jobId);
        submitted.add(h);
        return h;
    }

    /** Kills every job of the test and waits until none is queued or running; the first failure is thrown. */
    @Override
    public void close() throws ResourceException {
        ResourceException failed = null;
        for (JobHandle h : submitted) {
            try {
                adapter.kill(h);
            } catch (ResourceException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
        for (JobHandle h : submitted) {
            await(h, "to leave the queue after the test", s -> s.state() != State.QUEUED && s.state() != State.RUNNING);
        }
    }
}
