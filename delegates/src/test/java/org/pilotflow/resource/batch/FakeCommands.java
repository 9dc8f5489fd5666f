package org.pilotflow.resource.batch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * This host's shell with small fake job-manager programs ({@code qsub}, {@code bjobs}, ...) in a directory of their
 * own: real processes, started through {@link LocalShell}, that log their argv (and keep their standard input),
 * print canned output and exit with a canned code. A command named after a fake runs the fake (by its path: a
 * process's program is looked up on the engine's PATH, not the child's); the fakes' directory also leads the
 * child's PATH, for a shell that starts one ({@code sh -c 'exec bsub < "$1"'}).
 */
public final class FakeCommands implements ResourceShell {

    private final Path bin;
    private final Path log;
    private final Map<String, String> variables = new HashMap<>();

    public FakeCommands(Path dir) {
        this.bin = dir.resolve("bin");
        this.log = dir.resolve("calls.log");
        try {
            Files.createDirectories(bin);
            Files.writeString(log, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A program {@code name} that prints {@code stdout} and {@code stderr} and exits with {@code exitCode}. */
    public FakeCommands program(String name, int exitCode, String stdout, String stderr) {
        try {
            Files.writeString(bin.resolve(name + ".out"), stdout);
            Files.writeString(bin.resolve(name + ".err"), stderr);
            Path p = bin.resolve(name);
            Files.writeString(p, "#!/bin/sh\n"
                    + "{ printf '%s' " + name + "; for a in \"$@\"; do printf ' %s' \"$a\"; done; echo; } >> '" + log + "'\n"
                    + "cat > '" + bin.resolve(name + ".stdin") + "'\n"
                    + "cat '" + bin.resolve(name + ".out") + "'\n"
                    + "cat '" + bin.resolve(name + ".err") + "' >&2\n"
                    + "exit " + exitCode + "\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The machine's environment variable {@code name} as {@link #variables} reports it, instead of this host's. */
    public FakeCommands variable(String name, String value) {
        variables.put(name, value);
        return this;
    }

    /** The fakes' calls, one line each: {@code qstat -f -F json -x 12.srv}. */
    public List<String> calls() {
        try {
            return Files.readAllLines(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the fake {@code name} read from its standard input at its last call. */
    public String stdin(String name) {
        try {
            return Files.readString(bin.resolve(name + ".stdin"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String target() {
        return "localhost";
    }

    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws ResourceException {
        List<String> command = new ArrayList<>(argv);
        Path fake = bin.resolve(argv.get(0));
        if (Files.isExecutable(fake)) {
            command.set(0, fake.toString());
        }
        Map<String, String> childEnv = new HashMap<>(env);
        childEnv.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        CommandResult r = LocalShell.INSTANCE.run(command, childEnv, timeout);
        return new CommandResult(argv, r.exitCode(), r.stdout(), r.stderr());
    }

    @Override
    public void mkdirs(String path) throws ResourceException {
        LocalShell.INSTANCE.mkdirs(path);
    }

    @Override
    public void write(String path, byte[] content, int mode) throws ResourceException {
        LocalShell.INSTANCE.write(path, content, mode);
    }

    @Override
    public byte[] readTail(String path, long maxBytes) throws ResourceException {
        return LocalShell.INSTANCE.readTail(path, maxBytes);
    }

    @Override
    public boolean exists(String path) throws ResourceException {
        return LocalShell.INSTANCE.exists(path);
    }

    @Override
    public Map<String, String> variables(List<String> names) throws ResourceException {
        Map<String, String> out = new LinkedHashMap<>(LocalShell.INSTANCE.variables(names));
        names.stream().filter(variables::containsKey).forEach(n -> out.put(n, variables.get(n)));
        return out;
    }

    @Override
    public int reverseForward(int localPort) throws ResourceException {
        return LocalShell.INSTANCE.reverseForward(localPort);
    }
}
