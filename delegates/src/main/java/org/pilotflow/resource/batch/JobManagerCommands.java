package org.pilotflow.resource.batch;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job manager on one host: its {@link ResourceShell} with the resource's {@code job_manager_environment}
 * (e.g. {@code SLURM_CONF}) bound, so every sbatch, squeue, qsub or qstat gets it and no call site can forget it.
 */
public final class JobManagerCommands {

    /**
     * How long one job-manager command may take. Generous: a busy slurmctld or qmaster answers slowly, and
     * sbatch itself retries for up to its MessageTimeout before it gives up with a message of its own.
     */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(JobManagerCommands.class);

    private final ResourceShell shell;
    private final Map<String, String> environment;

    public JobManagerCommands(ResourceShell shell, Map<String, String> environment) {
        this.shell = shell;
        this.environment = Map.copyOf(environment);
    }

    /**
     * Runs a job-manager command and returns its outcome, failed or not.
     *
     * @throws ResourceException the host is unreachable, or the command did not end within {@link #TIMEOUT}
     */
    public CommandResult run(List<String> argv) throws ResourceException {
        long t0 = System.nanoTime();
        CommandResult r = shell.run(argv, environment, TIMEOUT);
        if (LOG.isDebugEnabled()) { // names only: values of the environment may be site paths or worse
            LOG.debug("{} on {} (env {}): exit {} in {} ms", String.join(" ", argv), shell.target(),
                    environment.keySet(), r.exitCode(), (System.nanoTime() - t0) / 1_000_000);
        }
        return r;
    }

    public CommandResult run(String... argv) throws ResourceException {
        return run(List.of(argv));
    }

    /**
     * The user the commands run as: {@code $USER} on the machine (its login name there, which over SSH may differ
     * from the engine's).
     *
     * @throws ResourceException the host is unreachable, or USER is not set there
     */
    public String user() throws ResourceException {
        String user = shell.variables(List.of("USER")).get("USER");
        if (user == null || user.isBlank()) {
            throw new ResourceException("USER is not set on " + shell.target()
                    + ", expected the login name the job manager knows the jobs' owner by");
        }
        return user;
    }

    /** Where the commands run, for messages. */
    public String target() {
        return shell.target();
    }
}
