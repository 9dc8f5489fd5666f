package org.pilotflow.agent.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcMemoryTest {

    @TempDir
    Path proc;

    @Test
    void smapsRollupGivesRssPssAndSwapInBytes() throws Exception {
        Files.createDirectories(proc.resolve("42"));
        Files.write(proc.resolve("42/smaps_rollup"), List.of(
                "55d0c2a4e000-7ffd5b5f7000 ---p 00000000 00:00 0                          [rollup]",
                "Rss:              10240 kB", "Pss:               6144 kB", "Pss_Anon:          4096 kB",
                "Pss_File:          2048 kB", "Shared_Clean:      1024 kB", "Swap:               512 kB",
                "SwapPss:            256 kB", "Locked:                0 kB"));
        ProcMemory.Usage u = new ProcMemory(proc).of(42);
        assertThat(u).isEqualTo(new ProcMemory.Usage(10240 * 1024L, 6144 * 1024L, 512 * 1024L));
    }

    @Test
    void withoutSmapsRollupStatusGivesRssAsPss() throws Exception {
        Files.createDirectories(proc.resolve("7"));
        Files.write(proc.resolve("7/status"), List.of("Name:\tsleep", "VmPeak:\t  9000 kB", "VmRSS:\t   2048 kB",
                "RssAnon:\t  1024 kB", "VmSwap:\t     64 kB"));
        assertThat(new ProcMemory(proc).of(7)).isEqualTo(new ProcMemory.Usage(2048 * 1024L, 2048 * 1024L,
                64 * 1024L));
    }

    @Test
    void aTreeIsSummedFromOneScanOfTheProcessTable() throws Exception {
        // 10 ─┬─ 11 ── 13     20 (another tree)
        //     └─ 12           the command name of 11 holds ") 1 (" to mislead a naive parser
        stat(10, "init-ish", 1);
        stat(11, "odd) 1 (name", 10);
        stat(12, "b", 10);
        stat(13, "c", 11);
        stat(20, "other", 1);
        for (int pid : new int[] {10, 11, 12, 13, 20}) {
            Files.write(proc.resolve(pid + "/status"), List.of("VmRSS:\t" + pid + " kB", "VmSwap:\t1 kB"));
        }
        ProcMemory pm = new ProcMemory(proc);
        var children = pm.children();
        assertThat(children.get(10L)).containsExactlyInAnyOrder(11L, 12L);
        assertThat(children.get(11L)).containsExactly(13L);
        assertThat(pm.ofTree(10, children)).isEqualTo(new ProcMemory.Usage((10 + 11 + 12 + 13) * 1024L,
                (10 + 11 + 12 + 13) * 1024L, 4 * 1024L));
    }

    private void stat(int pid, String comm, int ppid) throws Exception {
        Files.createDirectories(proc.resolve(Integer.toString(pid)));
        Files.writeString(proc.resolve(pid + "/stat"), pid + " (" + comm + ") S " + ppid + " " + pid + " 0 0 -1");
    }

    @Test
    void aProcessThatIsGoneCountsAsNothing() {
        assertThat(new ProcMemory(proc).of(123456)).isEqualTo(ProcMemory.Usage.NONE);
    }

    @Test
    void thisJvmHasResidentMemoryOnThisSystem() {
        ProcMemory real = new ProcMemory(Path.of("/proc"));
        org.junit.jupiter.api.Assumptions.assumeTrue(real.available(), "Linux /proc");
        ProcMemory.Usage u = real.ofTree(ProcessHandle.current());
        assertThat(u.rss()).isGreaterThan(10L << 20);
        assertThat(u.pss()).isPositive().isLessThanOrEqualTo(u.rss());
    }
}
