package org.pilotflow.resource.fork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.pilotflow.resource.AgentStaging;

/**
 * The processes of one host at one moment, as far as agent jobs need them: every process's id, process group,
 * session and whether it is a zombie, and for the agents asked about (by pid) the last argument of their command
 * line and the content of the pid file next to it. Read once for all the jobs of a host: a scan of {@code /proc}
 * on this host ({@link #local}), one command over SSH ({@link #remoteCommand}, {@link #parseRemote}).
 *
 * <h2>The job of an agent</h2>
 * An agent started by the fork adapters leads a session of its own ({@code setsid}), so its pid is also the id of
 * its session and of its process group; the units it starts inherit both. The job is every live (not zombie)
 * process of that session or group ({@link #job}). Linux does not give a pid to a new process while it is still
 * the id of a process group or session with a member, so processes of the group whose leader has died are the
 * agent's orphaned units and nothing else; a leader pid that is alive, on the other hand, may have been given to
 * an unrelated process once the whole job had ended: it counts as the agent only if {@link #isAgent} says so.
 */
final class ProcessTable {

    /** One process: its pid, process group, session, state and command name (for messages). */
    record Proc(long pid, long pgid, long sid, boolean zombie, String name) {
        @Override
        public String toString() {
            return pid + " (" + name + ")";
        }
    }

    /**
     * What an agent candidate carries: the last argument of its command line (the agent's is
     * {@code <sandbox>/agent.json}), and the content of the pid file in that directory ({@code null} when either is
     * missing).
     */
    record Leader(String lastArg, String pidFile) { }

    private static final String AGENT_JSON = "/" + AgentStaging.AGENT_CONFIG;
    private static final String LEADER_LINE = "#leader\t";

    private final Map<Long, Proc> procs;
    private final Map<Long, Leader> leaders;

    ProcessTable(Map<Long, Proc> procs, Map<Long, Leader> leaders) {
        this.procs = Map.copyOf(procs);
        this.leaders = Map.copyOf(leaders);
    }

    // ------------------------------------------------------------------------------------------ reading

    /** This host's processes, from {@code /proc}; {@code leaderPids} are the agent candidates. */
    static ProcessTable local(Collection<Long> leaderPids) {
        Path proc = Path.of("/proc");
        Map<Long, Proc> procs = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc)) {
            for (Path d : dirs) {
                String n = d.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    Proc p = readStat(d.resolve("stat"));
                    if (p != null) {
                        procs.put(p.pid(), p);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc on this host: " + e, e);
        }
        Map<Long, Leader> leaders = new HashMap<>();
        for (long pid : new LinkedHashSet<>(leaderPids)) {
            Proc p = procs.get(pid);
            leaders.put(pid, localLeader(proc.resolve(Long.toString(pid)), p != null && !p.zombie()));
        }
        return new ProcessTable(procs, leaders);
    }

    /** {@code /proc/<pid>/stat}: {@code pid (comm) state ppid pgrp session ...}; null when the process is gone. */
    private static Proc readStat(Path stat) {
        String s;
        try {
            s = Files.readString(stat, StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return null; // ended while the table was read
        }
        int open = s.indexOf('(');
        int close = s.lastIndexOf(')');
        if (open < 0 || close < open) {
            return null;
        }
        String[] f = s.substring(close + 1).strip().split(" ");
        if (f.length < 4) {
            return null;
        }
        try {
            return new Proc(Long.parseLong(s.substring(0, open).strip()), Long.parseLong(f[2]), Long.parseLong(f[3]),
                    f[0].equals("Z") || f[0].equals("X"), s.substring(open + 1, close));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** How long an empty command line of a live process is read again before it counts (see {@link #localLeader}). */
    private static final long EXEC_REREAD_NANOS = 500_000_000L;

    /**
     * A live process reads as an empty command line while it is in execve: the fork adapters' shell writes the pid
     * file and execs the agent at once, so a look right after a launch can fall in that window (it made a find right
     * after submit miss the agent in CI). Such a read is repeated, 1 ms apart, for up to {@link #EXEC_REREAD_NANOS}
     * (an exec takes well under a millisecond; the bound is for a loaded machine). A zombie is read once.
     */
    static Leader localLeader(Path procDir, boolean alive) {
        byte[] cmdline;
        try {
            cmdline = Files.readAllBytes(procDir.resolve("cmdline"));
            long deadline = System.nanoTime() + EXEC_REREAD_NANOS;
            while (alive && cmdline.length == 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
                cmdline = Files.readAllBytes(procDir.resolve("cmdline"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Leader(null, null);
        } catch (IOException | RuntimeException e) {
            return new Leader(null, null);
        }
        String[] args = new String(cmdline, StandardCharsets.UTF_8).split("\0");
        String last = args.length == 0 || args[args.length - 1].isEmpty() ? null : args[args.length - 1];
        String pidFile = null;
        if (last != null && last.endsWith(AGENT_JSON)) {
            try {
                Path f = Path.of(pidFileOf(last));
                if (Files.size(f) < 64) {
                    pidFile = Files.readString(f, StandardCharsets.US_ASCII);
                }
            } catch (IOException | RuntimeException e) {
                // no pid file: not (yet) an agent
            }
        }
        return new Leader(last, pidFile);
    }

    /**
     * The command that lists a host's processes for {@link #parseRemote}: one {@code ps} for all of them, then per
     * agent candidate the last argument of its command line and its pid file. Run as {@code /bin/sh -c} with the
     * pids as positional parameters (argv, never re-parsed).
     */
    static List<String> remoteCommand(Collection<Long> leaderPids) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c",
                "ps -e -o pid=,pgid=,sid=,stat=,comm= || exit 1\n"
                        + "for p; do\n"
                        + "  a=$(tr '\\000' '\\n' < \"/proc/$p/cmdline\" 2>/dev/null | tail -n 1)\n"
                        + "  f=\n"
                        + "  case $a in */" + AgentStaging.AGENT_CONFIG + ") f=$(cat \"${a%/"
                        + AgentStaging.AGENT_CONFIG + "}/" + AgentStaging.AGENT_PID + "\" 2>/dev/null) ;; esac\n"
                        + "  printf '" + LEADER_LINE.replace("\t", "\\t") + "%s\\t%s\\t%s\\n' \"$p\" \"$f\" \"$a\"\n"
                        + "done",
                "pilotflow-ps"));
        new LinkedHashSet<>(leaderPids).forEach(p -> argv.add(Long.toString(p)));
        return argv;
    }

    /**
     * The output of {@link #remoteCommand}.
     *
     * @throws IllegalArgumentException when it lists no process at all (not the command's output)
     */
    static ProcessTable parseRemote(String stdout) {
        Map<Long, Proc> procs = new HashMap<>();
        Map<Long, Leader> leaders = new HashMap<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith(LEADER_LINE)) {
                String[] f = line.substring(LEADER_LINE.length()).split("\t", 3);
                if (f.length == 3 && f[0].matches("\\d+")) {
                    leaders.put(Long.parseLong(f[0]), new Leader(f[2].isEmpty() ? null : f[2],
                            f[1].isEmpty() ? null : f[1]));
                }
                continue;
            }
            String[] f = line.strip().split("\\s+", 5);
            if (f.length >= 4 && f[0].matches("\\d+") && f[1].matches("\\d+") && f[2].matches("\\d+")) {
                long pid = Long.parseLong(f[0]);
                procs.put(pid, new Proc(pid, Long.parseLong(f[1]), Long.parseLong(f[2]),
                        f[3].startsWith("Z") || f[3].startsWith("X"), f.length == 5 ? f[4] : "?"));
            }
        }
        if (procs.isEmpty()) {
            throw new IllegalArgumentException("ps listed no process");
        }
        return new ProcessTable(procs, leaders);
    }

    /** {@code <dir>/agent.pid} for {@code <dir>/agent.json}. */
    static String pidFileOf(String agentConfig) {
        return agentConfig.substring(0, agentConfig.length() - AGENT_JSON.length()) + "/" + AgentStaging.AGENT_PID;
    }

    // ------------------------------------------------------------------------------------------ questions

    /** The process {@code pid}, if it exists and is not a zombie. */
    Proc alive(long pid) {
        Proc p = procs.get(pid);
        return p == null || p.zombie() ? null : p;
    }

    /**
     * Whether the live process {@code pid} is an agent of the fork adapters: it leads its own session, the last
     * argument of its command line is {@code <dir>/agent.json}, and {@code <dir>/agent.pid} holds {@code pid};
     * when {@code sandbox} is given, {@code <dir>} must be that sandbox. A pid recycled by any other process fails
     * these checks (it would have to be another pilot's agent, whose sandbox differs, to pass them).
     */
    boolean isAgent(long pid, String sandbox) {
        Proc p = alive(pid);
        Leader l = leaders.get(pid);
        if (p == null || l == null || l.lastArg() == null || l.pidFile() == null || p.sid() != pid) {
            return false;
        }
        if (!l.lastArg().endsWith(AGENT_JSON) || !l.pidFile().strip().equals(Long.toString(pid))) {
            return false;
        }
        return sandbox == null || l.lastArg().equals(sandbox + AGENT_JSON);
    }

    /** The agent's sandbox as its command line names it, or null. */
    String sandboxOf(long pid) {
        Leader l = leaders.get(pid);
        return l == null || l.lastArg() == null || !l.lastArg().endsWith(AGENT_JSON) ? null
                : l.lastArg().substring(0, l.lastArg().length() - AGENT_JSON.length());
    }

    /** The live processes of session or process group {@code id}, by pid. */
    List<Proc> members(long id) {
        List<Proc> out = new ArrayList<>();
        for (Proc p : procs.values()) {
            if (!p.zombie() && (p.pgid() == id || p.sid() == id)) {
                out.add(p);
            }
        }
        out.sort(java.util.Comparator.comparingLong(Proc::pid));
        return out;
    }

    /**
     * What is left of the job whose agent was (or is) process {@code leader}; {@code sandbox} is the job's sandbox
     * when the caller knows it, else null.
     */
    AgentJob job(long leader, String sandbox) {
        Proc p = alive(leader);
        if (p != null) {
            return isAgent(leader, sandbox) ? new AgentJob(leader, AgentJob.Kind.AGENT, members(leader), p)
                    : new AgentJob(leader, AgentJob.Kind.NOT_AGENT, List.of(), p);
        }
        List<Proc> left = members(leader);
        return new AgentJob(leader, left.isEmpty() ? AgentJob.Kind.GONE : AgentJob.Kind.ORPHANS, left, null);
    }

    /**
     * The job of one agent in a {@link ProcessTable}.
     *
     * @param members the live processes of its session and group (the agent among them while it lives)
     * @param holder  for {@link Kind#NOT_AGENT}: the process that now has the agent's pid
     */
    record AgentJob(long leader, Kind kind, List<Proc> members, Proc holder) {

        enum Kind {
            /** The agent runs (with its units, if any). */
            AGENT,
            /** The agent is gone, but processes of its session or group (orphaned units) still run. */
            ORPHANS,
            /** The agent's pid belongs to another process: the job has ended, and that process is not ours. */
            NOT_AGENT,
            /** Nothing of the job runs. */
            GONE
        }

        /** Whether something of the job runs: RUNNING for status, something to kill. */
        boolean alive() {
            return kind == Kind.AGENT || kind == Kind.ORPHANS;
        }

        /**
         * The process groups to signal to end the job: the agent's, and any other group within its session (a
         * unit that made a group of its own); empty when nothing of the job runs.
         */
        List<Long> groups() {
            if (!alive()) {
                return List.of();
            }
            LinkedHashSet<Long> g = new LinkedHashSet<>();
            g.add(leader);
            members.forEach(p -> g.add(p.pgid()));
            return List.copyOf(g);
        }

        /** "456 (sleep), 457 (sleep)": the orphaned processes, for messages. */
        String describeMembers() {
            return String.join(", ", members.stream().map(Proc::toString).toList());
        }
    }

    /**
     * The argv that sends SIGKILL to the process groups {@code groups} (the external {@code kill}, which takes
     * {@code --} before negative ids whatever the login shell is).
     */
    static List<String> killArgv(List<Long> groups) {
        List<String> argv = new ArrayList<>(List.of("env", "kill", "-KILL", "--"));
        groups.forEach(g -> argv.add("-" + g));
        return argv;
    }
}
