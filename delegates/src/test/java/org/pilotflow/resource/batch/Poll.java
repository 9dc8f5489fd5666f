package org.pilotflow.resource.batch;

import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assertions;

/** Waits for a condition by polling it, with a deadline; no sleep-and-hope. */
public final class Poll {

    /** A value source that may throw, e.g. a status call. */
    @FunctionalInterface
    public interface Source<T> {
        T get() throws Exception;
    }

    private Poll() {
    }

    /**
     * Polls {@code source} every 100 ms until {@code done} holds for its value, and returns that value; fails the
     * test with {@code what} and the last value seen when {@code timeout} passes first.
     */
    public static <T> T until(Duration timeout, String what, Source<T> source, Predicate<T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        while (true) {
            try {
                last = source.get();
            } catch (Exception e) {
                throw new AssertionError("polling for " + what + " failed: " + e, e);
            }
            if (done.test(last)) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                return Assertions.fail("not within " + timeout.toSeconds() + " s: " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }
}
