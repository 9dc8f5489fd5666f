package org.pilotflow.resource.batch;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * A shell on an imaginary host for unit tests: commands answered by canned functions per command name, files in
 * memory, {@code $HOME} = {@code /home/u}. {@code <any> -version} answers as Java 17; any other unanswered command
 * fails like a missing program would.
 */
public final class CannedShell implements ResourceShell {

    private final String target;
    private final Map<String, Function<List<String>, CommandResult>> answers = new ConcurrentHashMap<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Integer> modes = new ConcurrentHashMap<>();

    public CannedShell(String target) {
        this.target = target;
    }

    /** {@code command} (argv[0]) answers with this exit code and output, whatever its arguments. */
    public CannedShell answer(String command, int exitCode, String stdout, String stderr) {
        return answer(command, argv -> new CommandResult(argv, exitCode, stdout, stderr));
    }

    public CannedShell answer(String command, Function<List<String>, CommandResult> answer) {
        answers.put(command, answer);
        return this;
    }

    /** A file written through this shell, as text, or null. */
    public String file(String path) {
        byte[] b = files.get(path);
        return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    public Integer mode(String path) {
        return modes.get(path);
    }

    public void putFile(String path, String content) {
        files.put(path, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws ResourceException {
        Function<List<String>, CommandResult> a = answers.get(argv.get(0));
        if (a == null && argv.size() == 2 && argv.get(1).equals("-version")) {
            // the imaginary host has a Java 17 wherever the resource says (AgentStaging checks it)
            return new CommandResult(argv, 0, "", "openjdk version \"17.0.99\" 2026-01-01\n");
        }
        if (a == null) {
            return new CommandResult(argv, 127, "", "sh: 1: " + argv.get(0) + ": not found");
        }
        return a.apply(argv);
    }

    @Override
    public void mkdirs(String path) {
        // directories are implied by the files
    }

    @Override
    public void write(String path, byte[] content, int mode) {
        files.put(path, Arrays.copyOf(content, content.length));
        modes.put(path, mode);
    }

    @Override
    public byte[] readTail(String path, long maxBytes) {
        byte[] b = files.get(path);
        if (b == null) {
            return null;
        }
        int from = (int) Math.max(0, b.length - maxBytes);
        return Arrays.copyOfRange(b, from, b.length);
    }

    @Override
    public boolean exists(String path) {
        return files.containsKey(path);
    }

    @Override
    public Map<String, String> variables(List<String> names) {
        return names.contains("HOME") ? Map.of("HOME", "/home/u") : Map.of();
    }

    @Override
    public int reverseForward(int localPort) {
        return localPort;
    }
}
