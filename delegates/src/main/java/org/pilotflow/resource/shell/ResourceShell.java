package org.pilotflow.resource.shell;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pilotflow.resource.ResourceException;

/**
 * Runs commands and moves files on the machine a resource's job manager lives on: this host ({@link LocalShell})
 * or an SSH host (an SSH shell over one shared JSch session). Adapters for fork, SLURM and SGE are written once
 * against this interface, so {@code slurm://} and {@code slurm+ssh://} share all their code.
 *
 * <p>Every method throws {@link ResourceException} with a message naming {@link #target()} when the machine
 * cannot be reached; a command that runs and fails is not an exception but a {@link CommandResult} with its exit
 * code and output. Implementations are thread-safe.
 */
public interface ResourceShell {

    /** Where commands run, for messages: {@code localhost} or {@code user@host:port}. */
    String target();

    /**
     * Runs {@code argv} (each element passed as one argument: quoted with {@link ShellQuote} where the transport
     * needs a command line) with {@code env} added to the environment, and waits for it.
     *
     * @param timeout how long to wait before the command is abandoned (and killed where possible)
     * @throws ResourceException the machine is unreachable, or the command did not end within {@code timeout}
     */
    CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws ResourceException;

    /** Creates the directory and its parents (mode 0700 for those created). */
    void mkdirs(String path) throws ResourceException;

    /**
     * Writes {@code content} to {@code path}, creating the file with permission bits {@code mode} (e.g. 0600)
     * before any byte is written, and replacing an existing file.
     */
    void write(String path, byte[] content, int mode) throws ResourceException;

    /**
     * Reads at most the last {@code maxBytes} of a file, or returns {@code null} when it does not exist.
     */
    byte[] readTail(String path, long maxBytes) throws ResourceException;

    /** Whether {@code path} is a regular file. */
    boolean exists(String path) throws ResourceException;

    /**
     * The values of environment variables on the machine (for {@code $HOME} in sandboxes and valid roots); names
     * that are not defined there are absent from the map.
     */
    Map<String, String> variables(List<String> names) throws ResourceException;

    /**
     * Makes the engine's agent endpoint on this host, {@code 127.0.0.1:localPort}, reachable from the machine:
     * returns the port to use there on {@code 127.0.0.1}. For this host that is {@code localPort} itself; over
     * SSH it is a remote port forward on the shared connection, set up once and restored after a reconnect.
     */
    int reverseForward(int localPort) throws ResourceException;

    /**
     * Runs {@code work} with the machine's files: on this host directly, over SSH on one SFTP channel of the shared
     * connection (every file of the batch goes over it: no login, no channel per file).
     *
     * @param what for messages, e.g. {@code stage in 3 file(s) for pilot.0000}
     * @throws ResourceException when the machine cannot be reached, or {@code work} failed with an IOException
     */
    default <T> T withFiles(String what, ResourceFiles.Work<T> work) throws ResourceException {
        throw new ResourceException("cannot " + what + " on " + target() + ": this shell moves no files");
    }
}
