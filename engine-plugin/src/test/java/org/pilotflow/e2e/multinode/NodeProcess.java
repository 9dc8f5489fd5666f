package org.pilotflow.e2e.multinode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A {@link ClusterNode} JVM: its output lines as they come (kept, and copied to a log file), and its stdin. */
final class NodeProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Writer in;

    private NodeProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); var w = Files.newBufferedWriter(log)) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                    w.write(line);
                    w.newLine();
                    w.flush();
                }
            } catch (IOException e) {
                lines.add("READ-ERROR " + e);
            }
        }, "node-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static NodeProcess start(String name, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ClusterNode.class.getName()));
        cmd.addAll(List.of(args));
        return new NodeProcess(name, new ProcessBuilder(cmd).redirectErrorStream(true).start(), log);
    }

    /** The first line matching {@code p}, waiting up to {@code timeout}. */
    String await(Predicate<String> p, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : lines) {
                if (p.test(l)) {
                    return l;
                }
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("node " + name + ": no line for '" + what + "' within " + timeout
                + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + "; last lines: "
                + lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    boolean saw(String line) {
        return lines.contains(line);
    }

    void send(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
    }

    long pid() {
        return process.pid();
    }

    void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean waitForExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
