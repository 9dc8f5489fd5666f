package org.pilotflow.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * This host's processes as tests look at them: {@code /proc/<pid>/stat}, independent of the code under test; and
 * stand-in agents that start a unit-like child.
 */
public final class Procs {

    /** A process's state letter, process group and session. */
    public record Stat(long pid, char state, long pgid, long sid) {
        public boolean zombie() {
            return state == 'Z' || state == 'X';
        }
    }

    /**
     * The body of a stand-in agent that behaves like an agent with one unit: it starts {@code sleep 300} as its
     * child, in its process group (as the agent starts units), writes the child's pid to {@code unit.pid} in its
     * working directory (the sandbox) and waits.
     */
    public static final String AGENT_WITH_A_UNIT = "sleep 300 &\n"
            + "echo $! >unit.pid.tmp && mv unit.pid.tmp unit.pid\n"
            + "wait\n";

    /** A first line for a stand-in's body: logs the content of the pid file as the agent finds it when it starts. */
    public static final String LOG_PID_FILE = "echo \"pid file when the agent started: $(cat agent.pid)\"\n";

    private Procs() {
    }

    /** The process, or empty when there is none with that pid. */
    public static Optional<Stat> stat(long pid) {
        String s;
        try {
            s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return Optional.empty();
        }
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Optional.of(new Stat(pid, f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[3])));
    }

    /** Whether the process exists and is not a zombie. */
    public static boolean running(long pid) {
        return stat(pid).map(s -> !s.zombie()).orElse(false);
    }

    /** This JVM's process group. */
    public static long ownProcessGroup() {
        return stat(ProcessHandle.current().pid()).orElseThrow().pgid();
    }

    /** The pid in a pid file, or -1 when it is missing or incomplete. */
    public static long readPid(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return s.matches("\\d+") ? Long.parseLong(s) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Writes a stand-in for java into {@code dir}: it answers the staging's {@code java -version} check like a Java
     * 17, declines the agent's class archive training (it is no JVM) and otherwise ignores the agent's arguments and
     * runs {@code body} (in the sandbox, as the agent would). Written under another name and renamed: a stand-in
     * written again while an earlier copy runs must not change the file that sh is still reading.
     */
    public static String standIn(Path dir, String name, String body) {
        Path p = dir.resolve(name);
        try {
            Path part = Files.createTempFile(dir, name, ".part");
            Files.writeString(part, "#!/bin/sh\n"
                    + "if [ \"$1\" = -version ]; then echo 'openjdk version \"17.0.99\" (stand-in)' >&2; exit 0; fi\n"
                    + "case \"$*\" in *ClassArchiveTraining*) echo 'stand-in: not a JVM' >&2; exit 1;; esac\n"
                    + "echo \"stand-in agent $$ started: $*\"\n" + body + "\n");
            Files.setPosixFilePermissions(part, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(part, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.toString();
    }

    /** SIGKILL to the process if it exists (test cleanup). */
    public static void destroy(long pid) {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
