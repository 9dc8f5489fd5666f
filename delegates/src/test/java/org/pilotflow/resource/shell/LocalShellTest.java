package org.pilotflow.resource.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pilotflow.resource.ResourceException;

/** Commands on this host: their output, their failures, and the threads that read their output. */
class LocalShellTest {

    private static CommandResult sh(String script) throws ResourceException {
        return LocalShell.INSTANCE.run(List.of("/bin/sh", "-c", script), Map.of("GREETING", "hello"),
                Duration.ofSeconds(60));
    }

    @Test
    void bothStreamsAndTheExitCodeComeBack() throws Exception {
        CommandResult r = sh("echo \"$GREETING out\"; echo err >&2; exit 3");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("hello out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
    }

    @Test
    void aProgramThatIsNotThereSaysWhatToCheck() {
        assertThatThrownBy(() -> LocalShell.INSTANCE.run(List.of("/nonexistent/prog"), Map.of(),
                Duration.ofSeconds(5)))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("cannot run '/nonexistent/prog' on localhost")
                .hasMessageContaining("engine's PATH");
    }

    @Test
    void aCommandPastItsTimeoutIsKilledAndSaysSo() {
        assertThatThrownBy(() -> LocalShell.INSTANCE.run(List.of("sleep", "30"), Map.of(), Duration.ofMillis(300)))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("'sleep 30' on localhost did not end within 300 ms; it was killed");
    }

    /**
     * The output is read by the shell's own reused threads: not a new thread for each stream (what the JDK's default
     * async executor does on a host of 1-2 cores, where this test tells the two apart) ...
     */
    @Test
    void commandsStartNoThreadsOfTheirOwn() throws Exception {
        sh("true"); // the readers' first threads
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getTotalStartedThreadCount();
        int commands = 20;
        for (int i = 0; i < commands; i++) {
            assertThat(sh("echo " + i).stdout()).isEqualTo(i + "\n");
        }
        assertThat(threads.getTotalStartedThreadCount() - before).as("threads started for %d commands", commands)
                .isLessThan(commands / 2);
    }

    /**
     * ... nor the common pool, which the application embedding the engine may keep busy (the default async executor
     * on hosts of 3 cores or more, where this test tells the two apart).
     */
    @Test
    void aBusyCommonPoolDoesNotHoldACommandUp() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        int workers = ForkJoinPool.getCommonPoolParallelism();
        CountDownLatch busy = new CountDownLatch(workers);
        for (int i = 0; i < workers; i++) {
            ForkJoinPool.commonPool().execute(() -> {
                busy.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            assertThat(busy.await(30, TimeUnit.SECONDS)).as("every common-pool worker busy").isTrue();
            CompletableFuture<CommandResult> r = CompletableFuture.supplyAsync(() -> {
                try {
                    return sh("echo done");
                } catch (ResourceException e) {
                    throw new IllegalStateException(e);
                }
            }, command -> new Thread(command, "caller").start());
            assertThat(r.get(60, TimeUnit.SECONDS).stdout()).isEqualTo("done\n");
        } finally {
            release.countDown();
        }
    }
}
