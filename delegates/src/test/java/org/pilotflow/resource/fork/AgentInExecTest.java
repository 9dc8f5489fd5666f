package org.pilotflow.resource.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.resource.AgentStaging;

/**
 * The fork adapters' shell writes the agent's pid file and execs the agent at once; while the exec runs, the process
 * reads as an empty command line (a tight loop on this machine read one right after the pid file appeared in 300 of
 * 300 launches). A find right after a submit missed the agent that way in CI. A live leader's empty command line is
 * read again; a stand-in /proc/<pid> directory makes the window as long as the test wants.
 */
class AgentInExecTest {

    @TempDir
    Path dir;

    @Test
    void anEmptyCommandLineOfALiveProcessIsReadAgainUntilTheExecEnds() throws Exception {
        Path sandbox = Files.createDirectories(dir.resolve("pilot.0000"));
        Files.writeString(sandbox.resolve(AgentStaging.AGENT_PID), "4242\n");
        Path proc = Files.createDirectories(dir.resolve("proc-4242"));
        Files.write(proc.resolve("cmdline"), new byte[0]); // in execve
        String config = sandbox + "/" + AgentStaging.AGENT_CONFIG;
        CompletableFuture<Void> execDone = CompletableFuture.runAsync(() -> {
            try {
                Files.write(proc.resolve("cmdline"), ("java\0-jar\0agent.jar\0" + config + "\0").getBytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, CompletableFuture.delayedExecutor(10, TimeUnit.MILLISECONDS));

        ProcessTable.Leader l = ProcessTable.localLeader(proc, true);

        execDone.get();
        assertThat(l.lastArg()).isEqualTo(config);
        assertThat(l.pidFile()).isEqualTo("4242\n");
    }

    @Test
    void aZombieOrAProcessThatStaysEmptyIsNotWaitedForLong() throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc-77"));
        Files.write(proc.resolve("cmdline"), new byte[0]);
        long t0 = System.nanoTime();
        assertThat(ProcessTable.localLeader(proc, false).lastArg()).as("a zombie: read once").isNull();
        assertThat(ProcessTable.localLeader(proc, true).lastArg()).as("empty for good: bounded re-reads").isNull();
        assertThat(ProcessTable.localLeader(dir.resolve("proc-gone"), true).lastArg()).isNull();
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms spent").isLessThan(5_000);
    }
}
