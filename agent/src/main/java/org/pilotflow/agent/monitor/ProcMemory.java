package org.pilotflow.agent.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.DirectoryStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a process tree's memory from Linux's {@code /proc}: {@code smaps_rollup} (Rss, Pss, Swap; Linux 4.14+),
 * else {@code status} (VmRSS, VmSwap; PSS then equals RSS). A process that exits while it is read counts as 0.
 */
final class ProcMemory {

    /** Rss, Pss and Swap in bytes. */
    record Usage(long rss, long pss, long swap) {
        static final Usage NONE = new Usage(0, 0, 0);

        Usage plus(Usage o) {
            return new Usage(rss + o.rss, pss + o.pss, swap + o.swap);
        }
    }

    private final Path proc;

    ProcMemory(Path proc) {
        this.proc = proc;
    }

    /** Whether this system has a {@code /proc} to read (Linux). */
    boolean available() {
        return Files.isReadable(proc.resolve("self").resolve("status"));
    }

    /** The sum over {@code root} and every descendant alive now (one scan of the process table). */
    Usage ofTree(ProcessHandle root) {
        return ofTree(root.pid(), children());
    }

    /** The sum over {@code root} and its descendants in {@code children} (from {@link #children()}). */
    Usage ofTree(long root, Map<Long, List<Long>> children) {
        Usage sum = Usage.NONE;
        Deque<Long> todo = new ArrayDeque<>();
        todo.add(root);
        int seen = 0;
        while (!todo.isEmpty() && seen++ < 1_000_000) { // bounded: a pid reused mid-scan cannot loop it forever
            long pid = todo.poll();
            sum = sum.plus(of(pid));
            todo.addAll(children.getOrDefault(pid, List.of()));
        }
        return sum;
    }

    /**
     * Every process's children, from one scan of {@code /proc/<pid>/stat}: the monitor takes it once per round
     * and finds every unit's tree in it, instead of scanning the table once per unit.
     */
    Map<Long, List<Long>> children() {
        Map<Long, List<Long>> out = new HashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long ppid = parentOf(d.resolve("stat"));
                if (ppid > 0) {
                    out.computeIfAbsent(ppid, k -> new ArrayList<>()).add(Long.parseLong(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            return out; // what was read so far: a unit's processes missing from one sample, not a stop
        }
        return out;
    }

    /** The parent pid from a {@code stat} line (after the command name, which may hold spaces and parentheses). */
    static long parentOf(Path stat) {
        try {
            String s = Files.readString(stat);
            int close = s.lastIndexOf(')');
            String[] f = s.substring(close + 2).split(" ", 3); // state, ppid, ...
            return Long.parseLong(f[1]);
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    Usage of(long pid) {
        Path dir = proc.resolve(Long.toString(pid));
        try {
            Path rollup = dir.resolve("smaps_rollup");
            if (Files.isReadable(rollup)) {
                try {
                    return parse(Files.readAllLines(rollup), "Rss:", "Pss:", "Swap:");
                } catch (IOException denied) {
                    // a process that is not dumpable (ssh, a setuid helper) keeps its smaps from others: use status
                }
            }
            Usage u = parse(Files.readAllLines(dir.resolve("status")), "VmRSS:", null, "VmSwap:");
            return new Usage(u.rss(), u.rss(), u.swap());
        } catch (IOException | RuntimeException gone) { // the process ended meanwhile, or is not ours to read
            return Usage.NONE;
        }
    }

    /** Sums the kB values of the given keys (smaps_rollup has each once; the first occurrence counts). */
    static Usage parse(List<String> lines, String rssKey, String pssKey, String swapKey) {
        long rss = -1;
        long pss = -1;
        long swap = -1;
        for (String line : lines) {
            if (rss < 0 && line.startsWith(rssKey)) {
                rss = kiB(line, rssKey);
            } else if (pssKey != null && pss < 0 && line.startsWith(pssKey)) {
                pss = kiB(line, pssKey);
            } else if (swap < 0 && line.startsWith(swapKey)) {
                swap = kiB(line, swapKey);
            }
        }
        rss = Math.max(rss, 0);
        return new Usage(rss, pss < 0 ? rss : pss, Math.max(swap, 0));
    }

    private static long kiB(String line, String key) {
        String v = line.substring(key.length()).trim();
        int space = v.indexOf(' ');
        return Long.parseLong(space < 0 ? v : v.substring(0, space)) * 1024;
    }
}
