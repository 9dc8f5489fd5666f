package org.pilotflow.resource.fork;

import java.io.File;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.shell.LocalShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the agent as a process on this host ({@code fork://localhost/}). The agent is detached from the engine's
 * JVM (stdin from /dev/null, output to {@code agent.log} in the sandbox), so it outlives an engine crash and
 * reports to the restarted engine. The job handle is the agent's process id.
 */
public final class ForkAdapter implements ResourceAdapter {

    public static final String NAME = "fork";
    private static final Logger LOG = LoggerFactory.getLogger(ForkAdapter.class);

    /** Agents this JVM started: their exit codes are known here (after a restart only liveness is). */
    private final Map<Long, Process> started = new ConcurrentHashMap<>();

    @Override
    public Submitted submit(PilotLaunch launch) throws ResourceException {
        AgentStaging.Staged staged = AgentStaging.stage(LocalShell.INSTANCE, launch);
        try {
            ProcessBuilder pb = new ProcessBuilder(staged.agentArgv())
                    .directory(new File(staged.sandbox()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(staged.file(AgentStaging.AGENT_LOG))));
            Process process = pb.start();
            started.put(process.pid(), process);
            LOG.info("pilot {}: agent started as process {} in {}", launch.pilotId(), process.pid(), staged.sandbox());
            return new Submitted(new JobHandle(NAME, Long.toString(process.pid())), staged.sandbox());
        } catch (IOException e) {
            throw new ResourceException("cannot start the agent of " + launch.pilotId() + " on localhost with '"
                    + launch.java() + "' in " + staged.sandbox() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public JobStatus status(JobHandle handle) {
        long pid = pid(handle);
        Process own = started.get(pid);
        if (own != null) {
            if (own.isAlive()) {
                return JobStatus.running();
            }
            return JobStatus.gone("agent process " + pid + " exited with code " + own.exitValue()
                    + describeSignal(own.exitValue()));
        }
        Optional<ProcessHandle> ph = ProcessHandle.of(pid);
        if (ph.isPresent() && ph.get().isAlive() && isAgent(ph.get())) {
            return JobStatus.running();
        }
        return JobStatus.gone("agent process " + pid + " is gone");
    }

    @Override
    public void kill(JobHandle handle) {
        long pid = pid(handle);
        ProcessHandle.of(pid).filter(this::isAgent).ifPresent(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            LOG.info("killed agent process {}", pid);
        });
    }

    private boolean isAgent(ProcessHandle p) {
        // a recycled pid must not be mistaken for (or killed as) our agent
        return p.info().commandLine().map(c -> c.contains("pilotflow-agent")).orElse(true);
    }

    private static long pid(JobHandle handle) {
        if (!NAME.equals(handle.adapter())) {
            throw new IllegalArgumentException("not a fork job handle: " + handle);
        }
        return Long.parseLong(handle.id());
    }

    static String describeSignal(int exitCode) {
        return exitCode > 128 && exitCode < 160 ? " (killed by signal " + (exitCode - 128) + ")" : "";
    }
}
