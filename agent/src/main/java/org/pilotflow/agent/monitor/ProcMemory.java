package org.pilotflow.agent.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /** The sum over {@code root} and every descendant alive now. */
    Usage ofTree(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        Usage sum = Usage.NONE;
        for (ProcessHandle h : tree) {
            sum = sum.plus(of(h.pid()));
        }
        return sum;
    }

    Usage of(long pid) {
        Path dir = proc.resolve(Long.toString(pid));
        try {
            Path rollup = dir.resolve("smaps_rollup");
            if (Files.isReadable(rollup)) {
                return parse(Files.readAllLines(rollup), "Rss:", "Pss:", "Swap:");
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
