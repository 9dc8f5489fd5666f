package org.pilotflow.resource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's class archive on a resource (Java's AppCDS, a dynamic archive): the classes an agent loads from its
 * start to its first sync and its end, written once by a training run and mapped by every later agent of the same jar
 * and Java runtime instead of loading them again. Measured on a local pilot: the agent's JVM start until its first
 * sync about 40 % shorter (PilotStartBenchmark).
 *
 * <p>The archive lies beside the agent jar in {@code default_remote_workdir}, named by the jar's digest and the
 * runtime's identity ({@code AgentStaging.checkJava}: a digest of its {@code java -version}, or of the engine's own
 * system properties when it is the engine's Java), so another jar or Java gets its own (the same Java reached both
 * ways gets two); a JVM that still finds it does not fit (a compute node with another Java at the same path) says so
 * in agent.log and runs without it. It is made by the first pilot staged on a host that finds none:
 * {@code java -XX:ArchiveClassesAtExit=<part> -cp <jar> org.pilotflow.agent.ClassArchiveTraining <dir>} (a few
 * seconds, in that pilot's LAUNCHING), checked by a JVM that must map it ({@code -Xshare:on}), then moved into place:
 * a JVM maps a cut-short archive and dies of SIGBUS. Pilots staged on the host while a training runs start without
 * the archive rather than wait. A training that fails is logged once and not tried again by this engine: agents start
 * without the archive, as before. {@code agent_jvm_args} with an {@code -Xshare} or shared-archive option of its own
 * turn it off. The archive is trusted as the jar beside it is: whoever may write the work directory may replace
 * either.
 *
 * <p>Threads: launch workers call {@link #jvmArgs} concurrently; the sets below are concurrent.
 */
final class AgentClassArchive {
    private static final Logger LOG = LoggerFactory.getLogger(AgentClassArchive.class);

    static final String TRAINING_CLASS = "org.pilotflow.agent.ClassArchiveTraining";
    /**
     * Generous: the training takes 2-4 s on an idle 2-core host. An {@code agent_java} that is not a JVM but runs
     * (a wrapper that ignores its arguments) costs the first pilot this long once.
     */
    static final Duration TRAINING_TIMEOUT = Duration.ofMinutes(2);

    /** Archives ({@code target|path}) being made now, by one launch worker each. */
    private static final Set<String> TRAINING = ConcurrentHashMap.newKeySet();
    /** Archives ({@code target|path}) whose training failed in this engine: not tried again. */
    private static final Set<String> FAILED = ConcurrentHashMap.newKeySet();

    private AgentClassArchive() {
    }

    /** The agent jar's archive for the Java runtime of {@code javaId} ({@code AgentStaging.checkJava}'s identity). */
    static String path(String jar, String javaId) {
        String base = jar.endsWith(".jar") ? jar.substring(0, jar.length() - 4) : jar;
        return base + "-java-" + javaId + ".jsa";
    }

    /** Whether the user's agent JVM options manage class sharing themselves. */
    static boolean managedByUser(List<String> agentJvmArgs) {
        return agentJvmArgs.stream().anyMatch(a -> a.startsWith("-Xshare") || a.startsWith("-XX:SharedArchiveFile")
                || a.startsWith("-XX:ArchiveClassesAtExit") || a.startsWith("-XX:SharedClassListFile"));
    }

    /**
     * The JVM options that start an agent from its class archive, making the archive first when there is none:
     * {@code -XX:SharedArchiveFile=<archive>}, or nothing when the agent starts without one.
     *
     * @param launchOptions the agent's JVM options before {@code -jar} (the training runs with the same)
     * @param jarWritten    the jar was just written: an archive of an earlier file of that name does not fit it
     */
    static List<String> jvmArgs(ResourceShell shell, String java, String javaId, String jar, String workdir,
                                List<String> launchOptions, boolean jarWritten) throws ResourceException {
        if (managedByUser(launchOptions)) {
            return List.of();
        }
        String archive = path(jar, javaId);
        String key = shell.target() + "|" + archive;
        // an archive beside a jar written just now was made for an earlier file of that name (one that was removed):
        // a JVM would not use it, and the new one replaces it
        if (!jarWritten && shell.exists(archive)) {
            return List.of("-XX:SharedArchiveFile=" + archive);
        }
        if (FAILED.contains(key) || !TRAINING.add(key)) {
            return List.of();
        }
        try {
            return train(shell, java, jar, workdir, launchOptions, archive, key);
        } finally {
            TRAINING.remove(key);
        }
    }

    private static List<String> train(ResourceShell shell, String java, String jar, String workdir,
                                      List<String> launchOptions, String archive, String key)
            throws ResourceException {
        String part = archive + ".part-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> argv = new ArrayList<>();
        argv.add(java);
        argv.add("-XX:ArchiveClassesAtExit=" + part);
        argv.addAll(launchOptions);
        argv.add("-cp");
        argv.add(jar);
        argv.add(TRAINING_CLASS);
        argv.add(workdir + "/class-archive-training");
        long t0 = System.nanoTime();
        String failure;
        try {
            CommandResult r = shell.run(argv, Map.of(), TRAINING_TIMEOUT);
            if (!r.ok()) {
                failure = r.describe();
            } else if (!shell.exists(part)) {
                failure = "the JVM wrote no archive (" + (r.message().isEmpty() ? "it said nothing" : r.message())
                        + ")";
            } else {
                failure = check(shell, java, jar, launchOptions, part);
                if (failure == null) {
                    CommandResult mv = shell.run(List.of("mv", "-f", part, archive), Map.of(),
                            Duration.ofSeconds(60));
                    failure = mv.ok() ? null : mv.describe();
                }
            }
        } catch (ResourceException e) {
            failure = e.getMessage();
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (failure == null) {
            LOG.info("agents on {} start from the class archive {} (made in {} ms)", shell.target(), archive, millis);
            return List.of("-XX:SharedArchiveFile=" + archive);
        }
        FAILED.add(key);
        try {
            shell.run(List.of("rm", "-f", part), Map.of(), Duration.ofSeconds(60));
        } catch (ResourceException e) {
            LOG.debug("could not remove {} on {}: {}", part, shell.target(), e.getMessage());
        }
        LOG.warn("agents on {} start without a class archive (each start takes longer; nothing else changes): "
                + "making {} failed after {} ms: {}. This engine does not try again; a new engine does, or put "
                + "-Xshare:off in agent_jvm_args to leave it", shell.target(), archive, millis, failure);
        return List.of();
    }

    /**
     * Why a JVM with the agent's options cannot use the archive, or null when it can. {@code -Xshare:on} makes a JVM
     * that cannot map it fail instead of going on without it; the check matters because a JVM maps an archive that
     * was cut short (a full disk) and dies of SIGBUS when it reaches the missing part.
     */
    private static String check(ResourceShell shell, String java, String jar, List<String> launchOptions,
                                String archive) throws ResourceException {
        List<String> argv = new ArrayList<>();
        argv.add(java);
        argv.add("-Xshare:on");
        argv.add("-XX:SharedArchiveFile=" + archive);
        argv.addAll(launchOptions);
        argv.add("-cp");
        argv.add(jar);
        argv.add("-version");
        CommandResult r = shell.run(argv, Map.of(), Duration.ofSeconds(60));
        return r.ok() ? null : "the archive it wrote does not load: " + r.describe();
    }
}
