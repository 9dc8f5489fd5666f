package org.pilotflow.agent.monitor;

import java.util.ArrayList;
import java.util.List;

/**
 * A real program for the memory tests: {@code hold <MiB> <seconds>} allocates and touches that much at once and
 * keeps it; {@code leak <MiB per step> <step ms> <steps>} allocates a little every step and never frees it.
 */
public final class MemoryHog {

    private static final List<byte[]> KEPT = new ArrayList<>();

    public static void main(String[] args) throws InterruptedException {
        switch (args[0]) {
            case "hold" -> {
                for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                    KEPT.add(touched(1 << 20));
                }
                Thread.sleep(Long.parseLong(args[2]) * 1000);
            }
            case "leak" -> {
                int steps = Integer.parseInt(args[3]);
                for (int i = 0; i < steps; i++) {
                    KEPT.add(touched(Integer.parseInt(args[1]) << 20));
                    Thread.sleep(Long.parseLong(args[2]));
                }
            }
            default -> throw new IllegalArgumentException("hold or leak, not " + args[0]);
        }
    }

    // every page written: resident for certain, whatever the JVM knows about fresh memory being zero
    private static byte[] touched(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i += 4096) {
            b[i] = 1;
        }
        return b;
    }

    /** The argv that runs this program with a small fixed JVM. */
    static List<String> argv(String... args) {
        List<String> argv = new ArrayList<>(List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms8m", "-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), MemoryHog.class.getName()));
        argv.addAll(List.of(args));
        return argv;
    }
}
