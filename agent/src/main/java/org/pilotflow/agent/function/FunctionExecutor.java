package org.pilotflow.agent.function;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.pilotflow.agent.executor.UnitExecutor;

/**
 * Runs function units inside the agent: a fixed pool of worker threads (as many as the agent's node has cores,
 * made on first use and reused, since the scheduler never runs more function units at once than that node's
 * cores), classes loaded once per jar set ({@link FunctionClasses}), and one timer thread for timeouts and the
 * cancel grace.
 *
 * <p>Jars are confined as staging sources are: a relative path lies in the pilot sandbox, and any jar's real path
 * must lie under the resource's sandbox root or one of its valid roots.
 */
public final class FunctionExecutor implements AutoCloseable {

    private final ThreadPoolExecutor pool;
    private final ScheduledThreadPoolExecutor timer;
    private final FunctionClasses classes = new FunctionClasses();
    private final Path pilotSandbox;
    private final List<Path> roots;
    private final long killGraceMillis;
    /** Jar lists already resolved and found inside the roots. */
    private final Map<List<String>, List<Path>> resolved = new ConcurrentHashMap<>();

    /**
     * @param threads         the worker threads: the cores of the agent's node
     * @param pilotSandbox    where relative jar paths lie
     * @param readableRoots   where jars may lie (the resource's sandbox root, its valid roots)
     * @param killGraceMillis how long a canceled function may take to return before that is reported
     */
    public FunctionExecutor(int threads, Path pilotSandbox, List<Path> readableRoots, long killGraceMillis) {
        int n = Math.max(1, threads);
        this.pool = new ThreadPoolExecutor(n, n, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                daemonThreads("pilotflow-function"));
        this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("pilotflow-function-timer"));
        this.timer.setRemoveOnCancelPolicy(true);
        this.pilotSandbox = pilotSandbox.toAbsolutePath().normalize();
        List<Path> r = new ArrayList<>();
        r.add(realOrSelf(this.pilotSandbox));
        for (Path p : readableRoots) {
            r.add(realOrSelf(p.toAbsolutePath().normalize()));
        }
        this.roots = List.copyOf(r);
        this.killGraceMillis = killGraceMillis;
    }

    /** Starts a function unit; returns at once. The sandbox directory must exist. */
    public FunctionExecution launch(FunctionSpec spec, UnitExecutor.Listener listener) {
        FunctionExecution run = new FunctionExecution(this, spec, listener);
        pool.execute(run::run);
        return run;
    }

    /** The worker threads: the cores of the agent's node. */
    public int threads() {
        return pool.getMaximumPoolSize();
    }

    /** How many class loaders were made so far. */
    public int classLoaderCount() {
        return classes.loaderCount();
    }

    FunctionClasses classes() {
        return classes;
    }

    ScheduledThreadPoolExecutor timer() {
        return timer;
    }

    long killGraceMillis() {
        return killGraceMillis;
    }

    /** The unit's jars as absolute real paths inside the roots; a missing jar stays as given (its load says so). */
    List<Path> jars(List<String> given) throws FunctionClasses.Unloadable {
        List<Path> known = resolved.get(given);
        if (known != null) {
            return known;
        }
        List<Path> out = new ArrayList<>(given.size());
        boolean allThere = true;
        for (String g : given) {
            Path p = Path.of(g);
            Path abs = (p.isAbsolute() ? p : pilotSandbox.resolve(p)).normalize();
            if (!p.isAbsolute() && !abs.startsWith(pilotSandbox)) {
                throw new FunctionClasses.Unloadable("function jar '" + g + "' leaves the pilot sandbox (a relative "
                        + "jar path must lie in it)");
            }
            if (!Files.exists(abs)) {
                allThere = false;
                out.add(abs);
                continue;
            }
            Path real = realOrSelf(abs);
            if (roots.stream().noneMatch(real::startsWith)) {
                throw new FunctionClasses.Unloadable("function jar " + abs + (real.equals(abs) ? "" : " (" + real + ")")
                        + " lies outside the pilot's sandbox root and the resource's valid roots " + roots
                        + " (put it under one of them, or stage it into the pilot sandbox)");
            }
            out.add(real);
        }
        List<Path> jars = List.copyOf(out);
        if (allThere) {
            resolved.put(List.copyOf(given), jars);
        }
        return jars;
    }

    private static Path realOrSelf(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        timer.shutdownNow();
        classes.close();
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
