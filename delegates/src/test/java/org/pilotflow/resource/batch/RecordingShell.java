package org.pilotflow.resource.batch;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;

/** A shell that records every command it runs (argv and environment) and passes everything on to another. */
public final class RecordingShell implements ResourceShell {

    /** One command run. */
    public record Call(List<String> argv, Map<String, String> env) {
        public String command() {
            return argv.get(0);
        }
    }

    private final ResourceShell delegate;
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    public RecordingShell(ResourceShell delegate) {
        this.delegate = delegate;
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }

    /** How many times {@code command} (argv[0]) ran. */
    public long count(String command) {
        return calls.stream().filter(c -> c.command().equals(command)).count();
    }

    public void clear() {
        calls.clear();
    }

    @Override
    public String target() {
        return delegate.target();
    }

    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws ResourceException {
        calls.add(new Call(List.copyOf(argv), Map.copyOf(env)));
        return delegate.run(argv, env, timeout);
    }

    @Override
    public void mkdirs(String path) throws ResourceException {
        delegate.mkdirs(path);
    }

    @Override
    public void write(String path, byte[] content, int mode) throws ResourceException {
        delegate.write(path, content, mode);
    }

    @Override
    public byte[] readTail(String path, long maxBytes) throws ResourceException {
        return delegate.readTail(path, maxBytes);
    }

    @Override
    public boolean exists(String path) throws ResourceException {
        return delegate.exists(path);
    }

    @Override
    public Map<String, String> variables(List<String> names) throws ResourceException {
        return delegate.variables(names);
    }

    @Override
    public int reverseForward(int localPort) throws ResourceException {
        return delegate.reverseForward(localPort);
    }
}
