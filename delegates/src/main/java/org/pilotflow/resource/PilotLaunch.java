package org.pilotflow.resource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceSchema;

/**
 * Everything an adapter needs to start one pilot's job.
 *
 * @param agent      the agent's configuration (written to the sandbox as agent.json, mode 0600: it holds the
 *                   pilot secret); its sandbox is replaced by the resolved one
 * @param resource   the resource entry the pilot runs on
 * @param schema     the access schema chosen (the description's or the resource's default)
 * @param sandbox    the pilot sandbox as decided when the pilot was submitted: absolute, or for a remote resource
 *                   possibly starting with a variable such as {@code $HOME}, resolved on the resource at launch
 * @param sandboxGiven whether the description named the sandbox (then it is checked against valid_roots at
 *                   launch, once the remote variables are known)
 * @param java       the java executable on the resource
 * @param runtime    the pilot's requested runtime (the batch job's wall time)
 * @param queue      batch queue (partition), or null
 * @param project    batch account/project, or null
 * @param memoryMb   memory per node the job asks for, 0 for the batch system's default
 * @param enginePort the port of the engine's agent endpoint on the engine's host (for an SSH reverse tunnel)
 * @param beforeAgent what the engine puts into the sandbox once it exists and before the agent can start (the
 *                   pilot's input staging from {@code client://}); {@link SandboxStep#NONE} for nothing
 */
public record PilotLaunch(
        AgentConfig agent,
        ResourceConfig resource,
        ResourceSchema schema,
        String sandbox,
        boolean sandboxGiven,
        String java,
        Duration runtime,
        String queue,
        String project,
        int memoryMb,
        int enginePort,
        SandboxStep beforeAgent) {

    /** A launch that puts nothing into the sandbox besides the agent. */
    public PilotLaunch(AgentConfig agent, ResourceConfig resource, ResourceSchema schema, String sandbox,
                       boolean sandboxGiven, String java, Duration runtime, String queue, String project, int memoryMb,
                       int enginePort) {
        this(agent, resource, schema, sandbox, sandboxGiven, java, runtime, queue, project, memoryMb, enginePort,
                SandboxStep.NONE);
    }

    public PilotLaunch {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(runtime, "runtime");
        beforeAgent = beforeAgent == null ? SandboxStep.NONE : beforeAgent;
    }

    public String pilotId() {
        return agent.pilotId();
    }

    /** The session the pilot belongs to. */
    public String sessionId() {
        return agent.sessionId();
    }

    /**
     * The name of the pilot's batch job: unique per pilot across sessions, so that a retried launch can find the job
     * an earlier attempt submitted by its name ({@link ResourceAdapter#find}). See {@link #jobName(String, String)}.
     */
    public String jobName() {
        return jobName(sessionId(), pilotId());
    }

    private static final Pattern NAME_SAFE = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern NAME_UNSAFE = Pattern.compile("[^A-Za-z0-9._-]");
    private static final String SESSION_PREFIX = "session.";
    private static final int PILOT_PART_MAX = 24;
    private static final int SESSION_PART_MAX = 32;
    private static final int DIGEST_HEX = 10;

    /**
     * A batch job name for pilot {@code pilotId} of session {@code sessionId}: {@code <pilot part>.<session part>},
     * e.g. {@code pilot.0000.20250107.143012.a1b2c3} for pilot {@code pilot.0000} of session
     * {@code session.20250107.143012.a1b2c3}.
     * <ul>
     *   <li>The session part is the session id without its leading {@code session.} (the engine's session ids are
     *       {@code session.<date>.<time>.<6 random hex digits>}); the pilot part is the pilot id.</li>
     *   <li>A part is used as it is when it holds only letters, digits, {@code .}, {@code _} and {@code -} and is at
     *       most 24 (pilot) or 32 (session) characters long. Otherwise it becomes its first characters with every
     *       other character replaced by {@code _}, then {@code _} and the first 10 hex digits of the SHA-256 of the
     *       whole part, 24 or 32 characters in all: two different ids never give one name by being cut or
     *       cleaned.</li>
     *   <li>A name that does not start with a letter gets a leading {@code p}.</li>
     * </ul>
     * So the name has at most 58 characters, starts with a letter and holds none of Grid Engine's forbidden
     * characters ({@code / : @ \ * ?}, whitespace) nor anything a directive would have to quote: it is valid as
     * {@code sbatch --job-name} and as {@code qsub -N}, and {@code squeue --name} and {@code qstat}'s
     * {@code JB_name} give it back unchanged.
     */
    public static String jobName(String sessionId, String pilotId) {
        String session = sessionId.startsWith(SESSION_PREFIX) && sessionId.length() > SESSION_PREFIX.length()
                ? sessionId.substring(SESSION_PREFIX.length()) : sessionId;
        String name = namePart(pilotId, PILOT_PART_MAX) + "." + namePart(session, SESSION_PART_MAX);
        return Character.isLetter(name.charAt(0)) ? name : "p" + name;
    }

    private static String namePart(String part, int max) {
        if (!part.isEmpty() && part.length() <= max && NAME_SAFE.matcher(part).matches()) {
            return part;
        }
        String clean = NAME_UNSAFE.matcher(part).replaceAll("_");
        int keep = max - 1 - DIGEST_HEX;
        return (clean.length() > keep ? clean.substring(0, keep) : clean) + "_" + digest(part);
    }

    private static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, DIGEST_HEX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The pilot's cores. */
    public int cores() {
        return agent.cores();
    }
}
